package main

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchBuffer is output a test can wait on: Write appends and wakes every
// waiter, so a test waits for a line to appear, not for time to pass.
type watchBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // closed and replaced at each write
}

func newWatchBuffer() *watchBuffer { return &watchBuffer{changed: make(chan struct{})} }

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// snapshot is the text so far and a channel closed at the next write.
func (w *watchBuffer) snapshot() (string, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String(), w.changed
}

// waitFor returns once the output contains want, failing the test after
// testTimeout.
func (w *watchBuffer) waitFor(t *testing.T, who, want string) {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		s, changed := w.snapshot()
		if strings.Contains(s, want) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s: no %q after %v; output so far:\n%s", who, want, testTimeout, s)
		}
	}
}

// has reports, without waiting, whether the output contains want.
func (w *watchBuffer) has(want string) bool { return strings.Contains(w.String(), want) }

// session is a script run through Main in the background, with a pipe
// for its standard input (an *os.File, as a terminal or a shell pipe is).
type session struct {
	name   string
	out    *watchBuffer
	errOut *watchBuffer
	stdin  *os.File // the write end; closing it ends the script's input
	done   chan int
	addr   chan net.Addr // addresses it listens on
	cancel context.CancelFunc
}

// startSession runs netplay args in the background. The test's cleanup
// closes its input and interrupts it if it is still running.
func startSession(t *testing.T, name string, args ...string) *session {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{name: name, out: newWatchBuffer(), errOut: newWatchBuffer(), stdin: w,
		done: make(chan int, 1), addr: make(chan net.Addr, 8), cancel: cancel}
	go func() {
		defer r.Close()
		s.done <- Main(ctx, args, Stdio{In: r, Out: s.out, Err: s.errOut, OnListen: func(a net.Addr) {
			select {
			case s.addr <- a:
			default:
			}
		}})
	}()
	t.Cleanup(func() {
		w.Close()
		cancel()
		select {
		case <-s.done:
		case <-time.After(testTimeout):
			t.Errorf("%s did not stop", name)
		}
	})
	return s
}

// listening waits until the session listens and returns the address.
func (s *session) listening(t *testing.T) net.Addr {
	t.Helper()
	select {
	case a := <-s.addr:
		return a
	case status := <-s.done:
		s.done <- status
		t.Fatalf("%s exited with %d before listening: %s", s.name, status, s.errOut.String())
	case <-time.After(testTimeout):
		t.Fatalf("%s did not listen", s.name)
	}
	return nil
}

// typeLine writes a line to the session's standard input.
func (s *session) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := s.stdin.WriteString(line + "\n"); err != nil {
		t.Fatalf("%s: typing %q: %v", s.name, line, err)
	}
}

// wait returns the session's exit status once it ends on its own.
func (s *session) wait(t *testing.T) int {
	t.Helper()
	select {
	case status := <-s.done:
		s.done <- status
		return status
	case <-time.After(testTimeout):
		t.Fatalf("%s still running after %v; output:\n%s", s.name, testTimeout, s.out.String())
	}
	return -1
}
