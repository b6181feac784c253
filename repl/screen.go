package repl

// The screen: everything the REPL and the host's tasks write goes through
// it, so that output from background tasks never garbles the line being
// edited at a terminal prompt.

import (
	"io"
	"sync"
)

// clearLine moves the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// screen knows whether a prompt is being edited. While one is, a write
// clears the prompt line, prints the output there (ending it with a
// newline) and asks the line editor to draw the prompt and the text typed
// so far again, below the output. Otherwise writes go straight through.
type screen struct {
	mu        sync.Mutex
	prompting bool
	redraw    func() // makes the line editor redraw its line
}

// newScreen returns a screen; on a terminal, redraw is how the line editor
// is asked to draw its line again.
func newScreen(redraw func()) *screen {
	return &screen{redraw: redraw}
}

// setPrompting says whether the line editor is showing a prompt.
func (s *screen) setPrompting(on bool) {
	s.mu.Lock()
	s.prompting = on
	s.mu.Unlock()
}

// writer returns a writer to w that goes through the screen.
func (s *screen) writer(w io.Writer) io.Writer {
	return &screenWriter{s: s, w: w}
}

// screenWriter is one output stream (stdout or stderr) of the screen.
type screenWriter struct {
	s *screen
	w io.Writer
}

// Write writes p, above the prompt when one is being edited.
func (sw *screenWriter) Write(p []byte) (int, error) {
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.prompting || s.redraw == nil {
		return sw.w.Write(p)
	}
	buf := make([]byte, 0, len(clearLine)+len(p)+1)
	buf = append(buf, clearLine...)
	buf = append(buf, p...)
	if len(p) > 0 && p[len(p)-1] != '\n' {
		buf = append(buf, '\n')
	}
	if _, err := sw.w.Write(buf); err != nil {
		return 0, err
	}
	s.redraw()
	return len(p), nil
}
