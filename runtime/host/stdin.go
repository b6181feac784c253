package host

// Standard input, shared by whoever reads it: the REPL between entries, a
// task's io.read during them. A read waits only for its own caller, and
// ends when its context is cancelled (Ctrl-C, task:cancel, shutdown).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"netplay/runtime/netio"
)

// Stdin reads the process's standard input with cancellable waits.
type Stdin struct {
	mu  sync.Mutex // one reader at a time
	r   io.Reader
	fd  int  // -1 when r is not a file that can be polled
	tty bool // a terminal: Ctrl-D ends one read, not the input
	buf []byte
	eof bool
	err error
}

// maxStdinLine bounds a line read from stdin.
const maxStdinLine = 1 << 20

// NewStdin reads r; when r is an *os.File (a terminal, a pipe, a file)
// waits are made with poll, so they can end without a byte arriving.
func NewStdin(r io.Reader) *Stdin {
	s := &Stdin{r: r, fd: -1}
	if f, ok := r.(*os.File); ok {
		s.fd = int(f.Fd())
		_, err := unix.IoctlGetTermios(s.fd, unix.TCGETS)
		s.tty = err == nil
	}
	return s
}

// fill reads more input into the buffer, waiting until some arrives, the
// input ends (s.eof) or ctx is done.
func (s *Stdin) fill(ctx context.Context) error {
	if s.eof {
		return s.err
	}
	if err := s.waitReadable(ctx); err != nil {
		return err
	}
	p := make([]byte, 4096)
	n, err := s.r.Read(p)
	s.buf = append(s.buf, p[:n]...)
	if err != nil && s.tty && errors.Is(err, io.EOF) {
		return io.EOF // Ctrl-D: this read ends; the terminal goes on
	}
	if err != nil {
		s.eof = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		if n == 0 {
			return s.err
		}
	}
	return nil
}

// waitReadable waits until the descriptor has input, or ctx is done. A
// reader that is no file descriptor cannot be polled: its read waits.
func (s *Stdin) waitReadable(ctx context.Context) error {
	if s.fd < 0 {
		return ctx.Err()
	}
	return netio.WaitReadable(ctx, s.fd, time.Time{})
}

// ReadLine returns the next line, with its "\n" when keepNewline; at the
// end of the input it returns io.EOF (a last line without a newline comes
// first). A line over 1 MiB is returned in pieces of that size.
func (s *Stdin) ReadLine(ctx context.Context, keepNewline bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if i := s.lineEnd(); i >= 0 {
			end := i
			if keepNewline {
				end = i + 1
			}
			line := string(s.buf[:end])
			s.buf = s.buf[i+1:]
			return line, nil
		}
		if len(s.buf) >= maxStdinLine {
			line := string(s.buf[:maxStdinLine])
			s.buf = s.buf[maxStdinLine:]
			return line, nil
		}
		if s.eof {
			if len(s.buf) > 0 {
				line := string(s.buf)
				s.buf = nil
				return line, nil
			}
			return "", io.EOF
		}
		if err := s.fill(ctx); err != nil && !s.eof {
			return "", err
		}
	}
}

// lineEnd is the index of the byte that ends the first buffered line, or
// -1. On a terminal a "\r" ends a line too: keys typed (or pasted) before
// the terminal went back to line mode arrive with Enter as "\r".
func (s *Stdin) lineEnd() int {
	i := bytes.IndexByte(s.buf, '\n')
	if s.tty {
		if j := bytes.IndexByte(s.buf, '\r'); j >= 0 && (i < 0 || j < i) {
			if j+1 < len(s.buf) && s.buf[j+1] == '\n' {
				s.buf = append(s.buf[:j], s.buf[j+1:]...) // "\r\n" is one end
				return j
			}
			s.buf[j] = '\n'
			return j
		}
	}
	return i
}

// ReadN returns up to n bytes (fewer only at the end of the input); at
// the end it returns io.EOF.
func (s *Stdin) ReadN(ctx context.Context, n int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.buf) < n && !s.eof {
		if err := s.fill(ctx); err != nil && !s.eof {
			return "", err
		}
	}
	if len(s.buf) == 0 && n > 0 {
		return "", io.EOF
	}
	k := min(n, len(s.buf))
	out := string(s.buf[:k])
	s.buf = s.buf[k:]
	return out, nil
}

// ReadAll returns everything up to the end of the input.
func (s *Stdin) ReadAll(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.eof {
		if err := s.fill(ctx); err != nil && !s.eof {
			return "", err
		}
	}
	out := string(s.buf)
	s.buf = nil
	return out, nil
}

// ReadNumber skips white space and reads a number, as Lua's read("*n"):
// ok is false (nothing consumed but the white space) when none follows.
func (s *Stdin) ReadNumber(ctx context.Context) (f float64, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		i := 0
		for i < len(s.buf) && isSpace(s.buf[i]) {
			i++
		}
		s.buf = s.buf[i:]
		j := numberPrefix(s.buf)
		// A number may go on in input not read yet.
		if (len(s.buf) == 0 || j == len(s.buf)) && !s.eof {
			if err := s.fill(ctx); err != nil && !s.eof {
				return 0, false, err
			}
			continue
		}
		if j == 0 {
			return 0, false, nil
		}
		v, perr := strconv.ParseFloat(string(s.buf[:j]), 64)
		if perr != nil {
			return 0, false, nil
		}
		s.buf = s.buf[j:]
		return v, true, nil
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// numberPrefix is the length of the numeral at the start of p.
func numberPrefix(p []byte) int {
	i := 0
	if i < len(p) && (p[i] == '+' || p[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(p) && p[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		k := i
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		if digits() == 0 {
			i = k
		}
	}
	return i
}
