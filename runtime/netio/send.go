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
	if held := s.heldLen(); held > 0 {
		s.wbuf = append(s.wbuf, p...)
		n, err := s.writeHeld(w, st)
		s.clearDeferred()
		return max(0, n-held), err
	}
	return s.write(w, st, p)
}

// write writes p: without waiting as far as it goes, then waiting for
// room (or, on a non-blocking socket, failing with ErrTimeout and the
// count written). The caller holds the write slot.
func (s *Socket) write(w Waiter, st stream, p []byte) (int, error) {
	n, err := st.tryWrite(p)
	return s.finishWrite(w, st, p, n, err)
}

// finishWrite is write after its first try, which wrote n bytes of p.
func (s *Socket) finishWrite(w Waiter, st stream, p []byte, n int, err error) (int, error) {
	if err == nil && n == len(p) {
		return n, nil
	}
	if err != nil && err != errWouldBlock {
		return n, s.failed(w, "send", err)
	}
	if s.nonBlocking() {
		return n, ErrTimeout
	}
	s.writingHeld()
	k, err := st.waitWrite(w, s.deadline(w), p[n:])
	return n + k, s.failed(w, "send", err)
}

// writingHeld is said by a write that holds the write slot and is about
// to wait: all held output is in that write, so nothing is pending. The
// wait runs the task's before-wait flushes, and a flush of this socket
// must then find nothing to do rather than wait for the slot its own
// task holds (it did, for ever: a pipelining client that read slower
// than it sent hung its connection's task).
func (s *Socket) writingHeld() { s.pending.Store(0) }

// writeHeld writes the held output (wbuf and its parts) as write writes
// p; the caller holds the write slot, and clears the output after.
func (s *Socket) writeHeld(w Waiter, st stream) (int, error) {
	if s.held == nil {
		return s.write(w, st, s.wbuf)
	}
	n, err := s.tryWriteHeld(st) // on a short write, wbuf holds the rest
	switch {
	case err == nil:
		return n, nil
	case err != errWouldBlock:
		return n, s.failed(w, "send", err)
	}
	k, err := s.finishWrite(w, st, s.wbuf, 0, err)
	return n + k, err
}

// Encoder appends the frame of msg to dst (framing.Codec's Encode).
type Encoder func(dst, msg []byte) ([]byte, error)

// Around appends the bytes of msg's frame other than msg: out[:head] go
// before msg, out[head:] after (framing.Around's EncodeAround).
type Around func(dst, msg []byte) (out []byte, head int, err error)

// SendFrame sends msg framed by enc, the frame built straight in the
// socket's pooled output buffer, so a framed send copies the message
// once; the trace sees the frame, then the send. enc nil: msg is a frame
// already (the caller traced it). size is about how many bytes the frame
// takes (room is made for them first). around, when not nil, is enc
// without the message: a large message held back on a connection of the
// operating system's is then written from where it is, not copied (see
// held.go), and msg must not change until the output is written.
//
// With mayDefer, when the peer has already sent more input (so the
// program will read, and flush, again soon) the frame is held back to go
// out in one write with the replies that follow, instead of a system call
// per frame, and deferred is true; the caller must then flush before its
// task next waits. Held output is written before the socket next waits
// to read, by any Send, by Flush and by Close. An encode error leaves the
// output as it was.
func (s *Socket) SendFrame(w Waiter, msg []byte, enc Encoder, around Around, size int, mayDefer bool) (deferred bool, err error) {
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
	if deferring && s.mayRefer(st, msg, around) {
		if err := s.referFrame(msg, around, size); err != nil {
			return false, err
		}
	} else {
		// The frame is copied into the output buffer: every small reply
		// of a pipelined batch comes this way.
		if deferring && s.wbuf == nil {
			// Replies to pipelined requests gather here: room for all
			// of them at once, rather than a copy at each doubling.
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
	}
	if deferring && s.heldLen() <= maxDeferred {
		s.pending.Store(int64(s.heldLen()))
		return true, nil
	}
	_, err = s.writeHeld(w, st)
	s.clearDeferred()
	return false, err
}

// referFrame adds msg's frame to the output with msg left where it is:
// the output buffer gets the bytes around it. (Not when tracing: the
// trace sees frames whole.)
func (s *Socket) referFrame(msg []byte, around Around, size int) error {
	s.makeRoom(size - len(msg))
	out, head, err := around(s.wbuf, msg)
	if err != nil {
		return err
	}
	s.setOutput(out)
	s.refer(head, msg)
	return nil
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

// writeDeferred writes the held output (the caller holds the write
// slot); noWait writes only what fits now and keeps the rest.
func (s *Socket) writeDeferred(w Waiter, st stream, noWait bool) error {
	if s.heldLen() == 0 {
		return nil
	}
	_, err := s.tryWriteHeld(st) // on a short write, wbuf holds the rest
	if err == errWouldBlock && !noWait {
		s.writingHeld()
		_, err = st.waitWrite(w, s.deadline(w), s.wbuf)
	}
	if err == errWouldBlock {
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
	s.dropParts()
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
	if _, err := s.tryWriteHeld(st); err != nil && !errors.Is(err, errWouldBlock) {
		s.werr = err
	}
	s.clearDeferred()
}
