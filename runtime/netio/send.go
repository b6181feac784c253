package netio

import (
	"errors"

	"netplay/runtime/wiretrace"
)

// Send writes all of p and returns how many bytes went out. What fits in
// the socket's send buffer goes at once, with no wait; the rest waits for
// room. Deferred output (see Defer) goes first, in the same write.
func (s *Socket) Send(w Waiter, p []byte) (int, error) {
	if s.typ == SOCK_DGRAM {
		return s.SendTo(w, p, "")
	}
	st, err := s.stream()
	if err != nil {
		return 0, err
	}
	if sh := s.shape.Load(); sh != nil {
		s.observe(w, wiretrace.Send, p)
		return sh.enqueue(w, p) // its worker delivers them
	}
	if err := s.wr.acquire(w, "send"); err != nil {
		return 0, err
	}
	defer s.wr.release()
	if err := s.takeWriteError(); err != nil {
		return 0, err
	}
	s.observe(w, wiretrace.Send, p) // before the bytes can reach a reader
	if len(s.wbuf) > 0 {
		s.wbuf = append(s.wbuf, p...)
		n, err := s.write(w, st, s.wbuf)
		sent := max(0, n-(len(s.wbuf)-len(p)))
		s.clearDeferred()
		return sent, err
	}
	return s.write(w, st, p)
}

// write writes p: without waiting as far as it goes, then waiting for
// room (or, on a non-blocking socket, failing with ErrTimeout and the
// count written). The caller holds the write slot.
func (s *Socket) write(w Waiter, st stream, p []byte) (int, error) {
	n, err := st.tryWrite(p)
	if err == nil && n == len(p) {
		return n, nil
	}
	if err != nil && err != errWouldBlock {
		return n, s.failed(w, "send", err)
	}
	if s.nonBlocking() {
		return n, ErrTimeout
	}
	k, err := st.waitWrite(w, s.deadline(w), p[n:])
	return n + k, s.failed(w, "send", err)
}

// maxDeferred bounds the output Defer may hold back.
const maxDeferred = 64 << 10

// Defer queues p to be written later, in one write with what follows,
// instead of a write now; it is how a framed reply to a pipelined request
// avoids a system call per frame. It succeeds only when the peer has
// already sent more input (so the program will read, and so flush, again
// soon), no other writer is busy and the queue stays within its bound;
// otherwise the caller sends as usual. The queue is written before the
// socket next waits to read, by any Send, by Flush and by Close.
func (s *Socket) Defer(p []byte) bool {
	if s.shape.Load() != nil || !s.hasBufferedInput() {
		return false
	}
	if !s.wr.tryAcquire() {
		return false
	}
	defer s.wr.release()
	if len(s.wbuf)+len(p) > maxDeferred {
		return false
	}
	s.observe(nil, wiretrace.Send, p)
	s.wbuf = append(s.wbuf, p...)
	s.pending.Store(int64(len(s.wbuf)))
	return true
}

// hasBufferedInput reports, without waiting, whether received bytes are
// buffered and no reader is busy.
func (s *Socket) hasBufferedInput() bool {
	if !s.rd.tryAcquire() {
		return false
	}
	defer s.releaseRead()
	return s.rb.Len() > 0
}

// Pending reports whether deferred output waits to be written.
func (s *Socket) Pending() bool { return s.pending.Load() > 0 }

// Flush writes the deferred output, waiting for room if it must.
func (s *Socket) Flush(w Waiter) error {
	if !s.Pending() {
		return nil
	}
	st, err := s.stream()
	if err != nil {
		return err
	}
	return s.flush(w, st)
}

// flush writes the deferred output, waiting if it must; an error is kept
// for the socket's next send (and returned).
func (s *Socket) flush(w Waiter, st stream) error {
	if !s.Pending() {
		return nil
	}
	if err := s.wr.acquire(w, "send"); err != nil {
		return err
	}
	defer s.wr.release()
	return s.writeDeferred(w, st, false)
}

// flushNow writes what of the deferred output fits without waiting.
func (s *Socket) flushNow(w Waiter, st stream) error {
	if !s.Pending() || !s.wr.tryAcquire() {
		return nil
	}
	defer s.wr.release()
	return s.writeDeferred(w, st, true)
}

// writeDeferred writes wbuf (the caller holds the write slot); noWait
// writes only what fits now and keeps the rest.
func (s *Socket) writeDeferred(w Waiter, st stream, noWait bool) error {
	if len(s.wbuf) == 0 {
		return nil
	}
	n, err := st.tryWrite(s.wbuf)
	if err == errWouldBlock && !noWait {
		var k int
		k, err = st.waitWrite(w, s.deadline(w), s.wbuf[n:])
		n += k
	}
	if err == errWouldBlock {
		s.wbuf = s.wbuf[:copy(s.wbuf, s.wbuf[n:])]
		s.pending.Store(int64(len(s.wbuf)))
		return nil
	}
	s.clearDeferred()
	if err != nil {
		err = s.failed(w, "send", err)
		s.werr = err
	}
	return err
}

// clearDeferred empties the deferred output, releasing a large buffer.
func (s *Socket) clearDeferred() {
	s.wbuf = s.wbuf[:0]
	if cap(s.wbuf) > maxDeferred {
		s.wbuf = nil
	}
	s.pending.Store(0)
}

// takeWriteError returns, once, the error a deferred write met.
func (s *Socket) takeWriteError() error {
	err := s.werr
	s.werr = nil
	return err
}

// flushBeforeClose writes what deferred output fits without waiting:
// Close may run with the interpreter held (and by the garbage collector),
// so it never waits. The Lua layer flushes, waiting, before it closes.
func (s *Socket) flushBeforeClose() {
	if !s.Pending() {
		return
	}
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	if st == nil || !s.wr.tryAcquire() {
		return
	}
	defer s.wr.release()
	if _, err := st.tryWrite(s.wbuf); err != nil && !errors.Is(err, errWouldBlock) {
		s.werr = err
	}
	s.clearDeferred()
}
