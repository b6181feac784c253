package liner

// netplay patches (PATCHES.md): output above a prompt drawn under the
// prompt's own lock, bracketed paste, Tab as indentation, tabs shown as
// spaces, an escape key.

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrEscapeKey is returned from Prompt, with the line typed so far, when
// the key set with SetEscapeKey is pressed.
var ErrEscapeKey = errors.New("escape key")

// tabWidth is how many columns a tab in the line takes on the screen (to
// the next multiple of it).
const tabWidth = 4

// Bracketed paste (xterm): the terminal marks pasted text with these.
const (
	pasteOn        = "\x1b[?2004h" // ask the terminal to mark pastes
	pasteOff       = "\x1b[?2004l"
	pasteEndMarker = "\x1b[201~" // after a paste
)

// shownLine is what a prompt shows: redrawn after output written above.
type shownLine struct {
	prompt []rune
	buf    []rune
	pos    int
}

// SetTabIndents makes Tab at the start of the line, or after a space or a
// tab, insert a tab (indentation) instead of completing.
func (s *State) SetTabIndents(on bool) { s.tabIndents = on }

// SetBracketedPaste makes Prompt ask the terminal to mark pasted text
// while it reads: a paste is then inserted as typed text (tabs stay tabs,
// nothing is completed), and each line of a paste of several is returned
// by one call of Prompt, the last one left for editing when it has no
// newline.
func (s *State) SetBracketedPaste(on bool) { s.bracketPaste = on }

// SetEscapeKey makes key (for instance 0x1d, Ctrl-]) end Prompt with
// ErrEscapeKey and the line typed so far. 0 turns it off.
func (s *State) SetEscapeKey(key rune) { s.escapeKey = key }

// WriteAbove runs write, which writes to the terminal, so that its output
// appears above the prompt: when a prompt is shown, its line is cleared
// first (write starts at the left margin of the prompt's row and should
// end with a newline) and drawn again after. prompting tells write which.
// Safe to call from any goroutine; write must not call into the State.
func (s *State) WriteAbove(write func(prompting bool)) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if !s.active {
		write(false)
		return
	}
	s.cursorPos(0)
	s.eraseLine()
	write(true)
	need := s.needRefresh
	s.refresh(s.shown.prompt, s.shown.buf, s.shown.pos)
	s.needRefresh = need
}

// show records what the prompt shows now.
func (s *State) show(prompt, buf []rune, pos int) {
	s.shown = shownLine{prompt: prompt, buf: append(s.shown.buf[:0], buf...), pos: pos}
}

// expandTabs returns buf as shown, each tab as spaces to the next
// multiple of tabWidth, and where pos is in it.
func expandTabs(buf []rune, pos int) ([]rune, int) {
	if !containsTab(buf) {
		return buf, pos
	}
	out := make([]rune, 0, len(buf)+tabWidth)
	shownPos := -1
	for i, r := range buf {
		if i == pos {
			shownPos = len(out)
		}
		if r != '\t' {
			out = append(out, r)
			continue
		}
		for n := tabWidth - countGlyphs(out)%tabWidth; n > 0; n-- {
			out = append(out, ' ')
		}
	}
	if shownPos < 0 {
		shownPos = len(out)
	}
	return out, shownPos
}

func containsTab(buf []rune) bool {
	for _, r := range buf {
		if r == '\t' {
			return true
		}
	}
	return false
}

// indents reports whether Tab at pos inserts a tab: at the start of the
// line or after whitespace, when SetTabIndents is on.
func (s *State) indents(line []rune, pos int) bool {
	return s.tabIndents && (pos == 0 || unicode.IsSpace(line[pos-1]))
}

// readPaste reads a bracketed paste after its start marker, up to its end
// marker, and returns its text with line ends as "\n".
func (s *State) readPaste() (string, error) {
	var b strings.Builder
	for {
		next, err := s.readNext()
		if err != nil {
			return b.String(), err
		}
		switch v := next.(type) {
		case action:
			if v == pasteEnd {
				text := strings.ReplaceAll(b.String(), "\r\n", "\n")
				return strings.ReplaceAll(text, "\r", "\n"), nil
			}
		case rune:
			b.WriteRune(v)
			if v == '\n' || v == '\r' || v == ctrlC || v == ctrlD {
				s.restartPrompt() // the rune reader stops after these
			}
		}
	}
}

// insertPaste puts a paste into the line at pos. A paste of several lines
// ends the line at its first newline (ok is true: return the line); the
// rest waits in s.pasted for the next calls of Prompt.
func (s *State) insertPaste(line []rune, pos int, text string) (newLine []rune, newPos int, ok bool) {
	first, rest, multi := strings.Cut(text, "\n")
	ins := []rune(first)
	newLine = append(append(append([]rune{}, line[:pos]...), ins...), line[pos:]...)
	if multi {
		s.pasted = append(s.pasted, []rune(rest)...)
	}
	return newLine, pos + len(ins), multi
}

// takePasted returns the next line of an earlier paste: whole (ok), or the
// unfinished rest of it, to be edited.
func (s *State) takePasted() (line []rune, ok bool) {
	for i, r := range s.pasted {
		if r == '\n' {
			line = append([]rune{}, s.pasted[:i]...)
			s.pasted = s.pasted[i+1:]
			return line, true
		}
	}
	line, s.pasted = s.pasted, nil
	return line, false
}

// pastedLine shows a whole line of an earlier paste after its prompt, as
// if typed, and ends it.
func (s *State) pastedLine(p []rune, line []rune) {
	shown, _ := expandTabs(line, len(line))
	fmt.Fprint(s.out, string(p)+string(shown))
	if s.bracketPaste {
		fmt.Fprint(s.out, pasteOff)
	}
	fmt.Fprintln(s.out)
}
