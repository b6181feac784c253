package netio

import (
	"errors"

	"netplay/runtime/wiretrace"
)

// Send writes all of p and returns how many bytes went out. What fits in
// the socket's send buffer goes at once, with no wait; the rest waits for
// room. Deferred output (see SendFrame) goes first, in the same write.
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

// Encoder appends the frame of msg to dst (framing.Codec's Encode).
type Encoder func(dst, msg []byte) ([]byte, error)

// SendFrame sends msg framed by enc, the frame built straight in the
// socket's pooled output buffer, so a framed send copies the message
// once; the trace sees the frame, then the send. enc nil: msg is a frame
// already (the caller traced it). size is about how many bytes the frame
// takes (room is made for them first).
//
// With mayDefer, when the peer has already sent more input (so the
// program will read, and flush, again soon) the frame is held back to go
// out in one write with the replies that follow, instead of a system call
// per frame, and deferred is true; the caller must then flush before its
// task next waits. Held output is written before the socket next waits
// to read, by any Send, by Flush and by Close. An encode error leaves the
// output as it was.
func (s *Socket) SendFrame(w Waiter, msg []byte, enc Encoder, size int, mayDefer bool) (deferred bool, err error) {
	if s.typ == SOCK_DGRAM || s.shape.Load() != nil {
		p, err := s.encodeFrame(w, nil, msg, enc)
		if err != nil {
			return false, err
		}
		_, err = s.Send(w, p)
		return false, err
	}
	st, err := s.stream()
	if err != nil {
		return false, err
	}
	if err := s.wr.acquire(w, "send"); err != nil {
		return false, err
	}
	defer s.wr.release()
	if err := s.takeWriteError(); err != nil {
		return false, err
	}
	deferring := mayDefer && s.hasBufferedInput()
	if deferring && s.wbuf == nil {
		// Replies to pipelined requests gather here: room for all of
		// them at once, rather than a copy at each doubling.
		size = max(size, maxDeferred)
	}
	s.makeRoom(size)
	start := len(s.wbuf)
	out, err := s.encodeFrame(w, s.wbuf, msg, enc)
	if err != nil {
		return false, err
	}
	s.setOutput(out)
	s.observe(w, wiretrace.Send, s.wbuf[start:]) // before the bytes can reach a reader
	if deferring && len(s.wbuf) <= maxDeferred {
		s.pending.Store(int64(len(s.wbuf)))
		return true, nil
	}
	_, err = s.write(w, st, s.wbuf)
	s.clearDeferred()
	return false, err
}

// encodeFrame appends msg's frame to dst and reports it to the trace.
func (s *Socket) encodeFrame(w Waiter, dst, msg []byte, enc Encoder) ([]byte, error) {
	if enc == nil {
		return append(dst, msg...), nil
	}
	out, err := enc(dst, msg)
	if err == nil && s.Tracing() {
		name, _ := s.Framer()
		s.Emit(Event{Kind: wiretrace.Frame, Out: true, Data: msg, Codec: name, Used: len(out) - len(dst), Ctx: waiterContext(w)})
	}
	return out, err
}

// makeRoom moves the output buffer to pooled storage with room for n more
// bytes, if it has not.
func (s *Socket) makeRoom(n int) {
	if cap(s.wbuf)-len(s.wbuf) >= n {
		return
	}
	nb := getStorage(sizeFor(len(s.wbuf) + n))[:len(s.wbuf)]
	copy(nb, s.wbuf)
	if s.wbuf != nil {
		putStorage(s.wbuf)
	}
	s.wbuf = nb
}

// setOutput makes out the output buffer. Storage that append grew beyond
// a pool size moves to pooled storage of the next size, so that clearing
// gives it back to the pool.
func (s *Socket) setOutput(out []byte) {
	if poolFor(cap(out)) == nil && cap(out) <= maxReadSize {
		nb := getStorage(sizeFor(len(out)))[:len(out)]
		copy(nb, out)
		out = nb
	}
	s.wbuf = out
}

// maxDeferred bounds the output SendFrame may hold back.
const maxDeferred = 64 << 10

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

// clearDeferred empties the output buffer and gives its storage back to
// the pool: a quiet connection holds no write buffer.
func (s *Socket) clearDeferred() {
	if s.wbuf != nil {
		putStorage(s.wbuf)
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
