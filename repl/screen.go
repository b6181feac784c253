package repl

// The screen: everything the REPL and the host's tasks write goes through
// it, so that output from background tasks never garbles the line being
// edited at a terminal prompt.

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// moveUp moves the cursor one row up, to the left margin.
const moveUp = "\x1b[A\r"

// screen writes output for the terminal. While a prompt is shown, output
// goes above it: the line editor clears the prompt's row, the output is
// written there, and the prompt and the text typed so far are drawn again
// below (liner's WriteAbove, under the editor's own lock). Output that
// does not end its line is kept going, as a terminal would: the next write
// continues that line (the prompt stays below it) until a newline or the
// next prompt. Otherwise writes go straight through.
type screen struct {
	mu sync.Mutex
	// above is the line editor's WriteAbove; nil when there is no
	// terminal (writes go straight through).
	above func(write func(prompting bool))
	// columns is the terminal's width, 0 when unknown.
	columns func() int
	// tty is the terminal the prompt is on.
	tty io.Writer
	// partial is the unfinished last line of what was written above the
	// prompt: the next write continues it.
	partial []byte
	// midLine: the last write on the terminal did not end its line.
	midLine bool
}

// newScreen returns a screen with no terminal: writes go straight
// through until setTerminal.
func newScreen() *screen {
	return &screen{}
}

// setTerminal makes writes on the terminal tty go above the prompt of the
// line editor whose WriteAbove is above.
func (s *screen) setTerminal(tty io.Writer, above func(func(bool)), columns func() int) {
	s.mu.Lock()
	s.tty, s.above, s.columns = tty, above, columns
	s.mu.Unlock()
}

// promptStarting is called before each prompt: an unfinished line of
// output ends there (a newline, so the prompt starts on a row of its own).
func (s *screen) promptStarting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = nil
	if s.midLine && s.tty != nil {
		io.WriteString(s.tty, "\n")
	}
	s.midLine = false
}

// writer returns a writer to w through the screen. onTerminal says w
// writes on the terminal the prompt is on (stdout or stderr at a
// terminal); other writers (a pipe) always write straight through.
func (s *screen) writer(w io.Writer, onTerminal bool) io.Writer {
	return &screenWriter{s: s, w: w, onTerminal: onTerminal}
}

// screenWriter is one output stream (stdout or stderr) of the screen.
type screenWriter struct {
	s          *screen
	w          io.Writer
	onTerminal bool
}

// Write writes p, above the prompt when one is shown.
func (sw *screenWriter) Write(p []byte) (int, error) {
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sw.onTerminal || s.above == nil {
		return sw.w.Write(p)
	}
	var err error
	s.above(func(prompting bool) {
		if prompting {
			err = s.writeAbovePrompt(sw.w, p)
			return
		}
		s.partial = nil
		if len(p) > 0 {
			s.midLine = p[len(p)-1] != '\n'
		}
		_, err = sw.w.Write(p)
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeAbovePrompt writes p on the prompt's cleared row. An unfinished
// line written before is continued: the cursor goes back up to it and it
// is written again, then p. When p does not end its line, a newline ends
// the row for the prompt, and the line is kept to continue (unless it is
// as wide as the terminal: then the next write starts a new line).
func (s *screen) writeAbovePrompt(w io.Writer, p []byte) error {
	var buf bytes.Buffer
	if len(s.partial) > 0 {
		buf.WriteString(moveUp)
		buf.Write(s.partial)
	}
	buf.Write(p)
	line := append(s.partial, p...)
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	s.partial = nil
	if len(line) > 0 {
		buf.WriteByte('\n')
		if cols := s.width(); cols == 0 || utf8.RuneCount(line) < cols {
			s.partial = append([]byte(nil), line...)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// width is the terminal's width, 0 when unknown.
func (s *screen) width() int {
	if s.columns == nil {
		return 0
	}
	return s.columns()
}
