package tracer

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flush timer's goroutine, with
// a channel that tells when it was written.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{}
	closed  bool
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	select {
	case s.written <- struct{}{}:
	default:
	}
	return n, err
}

func (s *syncBuffer) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Writes are held until 64 KiB gather, the flush timer fires, or Close.
func TestFileWriterFlushes(t *testing.T) {
	out := &syncBuffer{written: make(chan struct{}, 1)}
	f := NewFileWriter(out, out)
	f.Write([]byte("one line\n"))
	if got := out.String(); got != "" {
		t.Fatalf("written at once: %q", got)
	}
	select { // the timer's flush, within flushAfter
	case <-out.written:
	case <-time.After(10 * time.Second):
		t.Fatal("not flushed by the timer")
	}
	if got := out.String(); got != "one line\n" {
		t.Fatalf("after the timer: %q", got)
	}
	big := strings.Repeat("x", 70<<10)
	f.Write([]byte(big))
	if got := len(out.String()); got < 64<<10 {
		t.Fatalf("70 KiB written, %d bytes out: the full buffer was not flushed", got)
	}
	f.Write([]byte("last\n"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one line\n"+big+"last\n" || !out.closed {
		t.Fatalf("after Close: %d bytes, closed %v", len(got), out.closed)
	}
}
