package repl

// The terminal: liner (a patched copy, third_party/liner) reads lines with
// editing, history, completion and bracketed paste.

import (
	"errors"
	"io"
	"os"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// escapeKey is Ctrl-], which leaves :attach (as telnet's escape).
const escapeKey = 0x1d

// IsTerminal reports whether the REPL should use the line editor: its
// input is a terminal whose type supports editing (liner refuses "dumb"
// ones), whatever its output is: `netplay | tee session.log` at a
// terminal still edits lines (the prompt is drawn on stderr then).
func IsTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && liner.TerminalSupported()
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalOutput picks where the prompt is drawn: stdout when it is a
// terminal, else stderr when it is, else the process's terminal
// (/dev/tty, opened: close it with the session). nil: none.
func terminalOutput(out, errw io.Writer) (tty *os.File, opened bool) {
	for _, w := range []io.Writer{out, errw} {
		if isTerminalWriter(w) {
			return w.(*os.File), false
		}
	}
	f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil, false
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, false
	}
	return f, true
}

// termReader reads lines with liner on the process's terminal: input from
// stdin, the prompt drawn on tty.
type termReader struct {
	st       *liner.State
	screen   *screen
	history  *history
	tty      *os.File
	closeTTY bool // tty was opened for the session
	// cooked is the terminal's own mode (echo, line editing by the
	// terminal, Ctrl-C as SIGINT), which entries run in, so io.read in
	// an entry reads a line as any program would; editing is liner's
	// mode, which prompts run in.
	cooked, editing liner.ModeApplier
}

// newTermReader puts the terminal in liner's mode, loads the history and
// makes the screen write above the prompt. complete completes the word
// before the cursor.
func newTermReader(scr *screen, tty *os.File, closeTTY bool, hist *history, complete liner.WordCompleter) *termReader {
	cooked, _ := liner.TerminalMode()
	st := liner.NewLinerOn(tty)
	editing, _ := liner.TerminalMode()
	st.SetCtrlCAborts(true)
	st.SetTabCompletionStyle(liner.TabPrints)
	st.SetWordCompleter(complete)
	st.SetTabIndents(true)
	st.SetBracketedPaste(true)
	t := &termReader{st: st, screen: scr, history: hist, tty: tty, closeTTY: closeTTY, cooked: cooked, editing: editing}
	t.apply(t.cooked)
	if lines := hist.load(); len(lines) > 0 {
		st.ReadHistory(linesReader(lines))
	}
	scr.setTerminal(tty, st.WriteAbove, func() int {
		w, _, err := term.GetSize(int(tty.Fd()))
		if err != nil {
			return 0
		}
		return w
	})
	return t
}

func (t *termReader) readLine(prompt string) (string, error) {
	t.apply(t.editing)
	t.screen.promptStarting()
	line, err := t.st.Prompt(prompt)
	t.apply(t.cooked)
	if errors.Is(err, liner.ErrPromptAborted) {
		return line, errPromptInterrupted
	}
	return line, err
}

// readAttached reads a line for :attach: no prompt, Ctrl-] ends it with
// errDetach. The terminal stays in the editor's mode (attach set it).
func (t *termReader) readAttached() (string, error) {
	t.st.SetEscapeKey(escapeKey)
	defer t.st.SetEscapeKey(0)
	t.screen.promptStarting()
	line, err := t.st.Prompt("")
	switch {
	case errors.Is(err, liner.ErrEscapeKey):
		return line, errDetach
	case errors.Is(err, liner.ErrPromptAborted):
		return line, errPromptInterrupted
	}
	return line, err
}

// addHistory records a line: in liner's history for Up and Ctrl-R, and at
// once at the end of the history file, so a crash loses nothing.
func (t *termReader) addHistory(line string) {
	t.st.AppendHistory(line)
	t.history.add(line)
}

// apply sets the terminal's mode, when it is known.
func (t *termReader) apply(m liner.ModeApplier) {
	if m != nil {
		m.ApplyMode()
	}
}

// close restores the terminal.
func (t *termReader) close() error {
	err := t.st.Close()
	if t.closeTTY {
		t.tty.Close()
	}
	return err
}
