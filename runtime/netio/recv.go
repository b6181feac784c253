package netio

import (
	"bytes"
	"errors"
	"io"
	"time"

	"netplay/runtime/wiretrace"
)

// maxDirectRead caps what recv(n) reads at once: recv returns "up to n".
const maxDirectRead = 1 << 20

// DefaultRecvUntilMax is recv_until's default bound: 64 KiB.
const DefaultRecvUntilMax = 64 << 10

// Recv is Python's recv(n): up to n bytes, an empty slice at EOF. Buffered
// bytes (left by recv_until, recv_exactly or a framed read) come first;
// otherwise it makes one read of at most n bytes from the connection, so
// recv(8) really reads 8 bytes at a time. On a datagram socket it returns
// one datagram, cut to n bytes.
func (s *Socket) Recv(w Waiter, n int) ([]byte, error) {
	if s.typ == SOCK_DGRAM {
		p, _, err := s.RecvFrom(w, n)
		return p, err
	}
	st, err := s.stream()
	if err != nil {
		return nil, err
	}
	if err := s.rd.acquire(w, "recv"); err != nil {
		return nil, err
	}
	defer s.releaseRead()
	if s.rb.Len() > 0 {
		return s.rb.Take(min(n, s.rb.Len())), nil
	}
	if s.eof || n == 0 {
		return []byte{}, nil
	}
	var p []byte // made only to read into: a wait holds none
	deadline := s.deadline(w)
	rw, bufferless := st.(readableWaiter)
	for {
		k, err := 0, errWouldBlock
		if !s.drained || s.nonBlocking() {
			if p == nil {
				p = make([]byte, min(n, maxDirectRead))
			}
			k, err = st.tryRead(p)
		}
		if err == errWouldBlock {
			if s.nonBlocking() {
				if err := s.flushNow(w, st); err != nil {
					return nil, err
				}
				return nil, ErrTimeout
			}
			if bufferless {
				p = nil
				if err := s.awaitInput(w, st, rw, "recv", deadline); err != nil {
					return nil, err
				}
				continue
			}
			if err = s.flush(w, st); err != nil {
				return nil, err
			}
			if p == nil {
				p = make([]byte, min(n, maxDirectRead))
			}
			k, err = st.waitRead(w, "recv", deadline, p)
			if k == 0 && err == nil {
				s.drained = false // in-process: readable now
				continue
			}
		}
		s.observe(w, wiretrace.Recv, p[:k])
		s.drained = k < len(p)
		switch {
		case k > 0:
			return p[:k], nil
		case errors.Is(err, io.EOF):
			s.sawEOF(w)
			return []byte{}, nil
		}
		return nil, s.failed(w, "recv", err)
	}
}

// fill reads once into the buffer, waiting through w when nothing is
// ready: nil when bytes arrived or the stream ended (s.eof), or when a
// wait ended and the caller should look again. The caller holds the read
// slot. A read is tried without waiting first only when the last one
// filled its buffer (more is probably there) or the socket is
// non-blocking; a wait begins by writing deferred output, and holds no
// read buffer (an idle connection has none).
func (s *Socket) fill(w Waiter, st stream, what string, want int, deadline time.Time) error {
	if s.eof {
		return nil
	}
	if r, ok := st.(*realStream); ok {
		return s.fillReal(w, r, what, want, deadline)
	}
	rw, bufferless := st.(readableWaiter)
	if !bufferless {
		return s.fillWaitingInto(w, st, what, want, deadline)
	}
	waited := false
	if s.drained && !s.nonBlocking() {
		if err := s.awaitInput(w, st, rw, what, deadline); err != nil {
			return err
		}
		waited = true
	}
	p, err := s.rb.space(want)
	if err != nil {
		return err
	}
	k, err := st.tryRead(p)
	if err == errWouldBlock {
		s.rb.releaseIfEmpty()
		if s.nonBlocking() {
			if err := s.flushNow(w, st); err != nil {
				return err
			}
			return ErrTimeout
		}
		if !waited {
			return s.awaitInput(w, st, rw, what, deadline)
		}
		return nil // woken with nothing to read: the caller looks again
	}
	if !waited {
		w.Fair()
	}
	return s.took(w, what, p, k, err)
}

// fillReal is fill for a connection of the operating system's: a read is
// tried first when more is probably there, else the wait in the poller
// reads as soon as input comes, taking the buffer only then.
func (s *Socket) fillReal(w Waiter, r *realStream, what string, want int, deadline time.Time) error {
	if err := s.takeIdleError(); err != nil {
		return err
	}
	if !s.drained || s.nonBlocking() {
		p, err := s.rb.space(want)
		if err != nil {
			return err
		}
		k, err := r.tryRead(p)
		if err != errWouldBlock {
			w.Fair()
			return s.took(w, what, p, k, err)
		}
		s.rb.releaseIfEmpty()
		if s.nonBlocking() {
			if err := s.flushNow(w, r); err != nil {
				return err
			}
			return ErrTimeout
		}
	}
	if err := s.flush(w, r); err != nil {
		return err
	}
	if s.suspend(w, r, what, want, deadline) {
		return ErrSuspended
	}
	p, k, err := r.readWaiting(w, what, deadline, &s.rb, want)
	if p == nil {
		return s.failed(w, what, err)
	}
	return s.took(w, what, p, k, err)
}

// readableWaiter is a stream that can wait for input without a buffer to
// read it into.
type readableWaiter interface {
	// waitReadable waits until a read would not block: input, the end of
	// the stream or an error is there (ErrTimeout past the deadline).
	waitReadable(w Waiter, what string, deadline time.Time) error
}

// awaitInput writes deferred output, then waits until st has input.
func (s *Socket) awaitInput(w Waiter, st stream, rw readableWaiter, what string, deadline time.Time) error {
	if err := s.flush(w, st); err != nil {
		return err
	}
	if err := rw.waitReadable(w, what, deadline); err != nil {
		return s.failed(w, what, err)
	}
	s.drained = false
	return nil
}

// took records a read of k bytes into p (space's slice) that ended with
// err: the trace, the buffer, the end of the stream.
func (s *Socket) took(w Waiter, what string, p []byte, k int, err error) error {
	s.observe(w, wiretrace.Recv, p[:k])
	s.rb.commit(k, len(p))
	s.drained = k < len(p)
	switch {
	case k > 0:
		return nil
	case errors.Is(err, io.EOF):
		s.sawEOF(w)
		return nil
	}
	return s.failed(w, what, err)
}

// fillWaitingInto is fill for a stream that reads into the buffer in the
// call that ends its wait (TLS): the buffer is held while it waits.
func (s *Socket) fillWaitingInto(w Waiter, st stream, what string, want int, deadline time.Time) error {
	p, err := s.rb.space(want)
	if err != nil {
		return err
	}
	k, err := 0, errWouldBlock
	if !s.drained || s.nonBlocking() {
		k, err = st.tryRead(p)
	}
	switch {
	case err == errWouldBlock && s.nonBlocking():
		s.rb.releaseIfEmpty()
		if err := s.flushNow(w, st); err != nil {
			return err
		}
		return ErrTimeout
	case err == errWouldBlock:
		if err := s.flush(w, st); err != nil {
			return err
		}
		k, err = st.waitRead(w, what, deadline, p)
		if k == 0 && err == nil {
			if k, err = st.tryRead(p); err == errWouldBlock {
				s.rb.releaseIfEmpty()
				return nil
			}
		}
	default:
		w.Fair()
	}
	return s.took(w, what, p, k, err)
}

// sawEOF records the end of the stream (once, for the trace too). The
// caller holds the read slot.
func (s *Socket) sawEOF(w Waiter) {
	s.eof = true
	if !s.eofSeen {
		s.eofSeen = true
		s.Emit(Event{Kind: wiretrace.EOF, Ctx: waiterContext(w)})
	}
}

// receive is the shape of every buffered receive: with the read slot held
// it fills the buffer until ready says done, then takes the result with
// take; on failure it hands over partial (see partialOn).
func (s *Socket) receive(w Waiter, what string, want func() int, ready func(buf []byte, eof bool) (bool, error), take func() []byte) (data, partial []byte, err error) {
	st, err := s.stream()
	if err != nil {
		return nil, nil, err
	}
	if err := s.rd.acquire(w, what); err != nil {
		return nil, nil, err
	}
	defer s.releaseRead()
	deadline := s.deadline(w) // every wait of the call shares it
	for {
		done, err := ready(s.rb.Bytes(), s.eof)
		if err != nil {
			return nil, s.partialOn(err), err
		}
		if done {
			return take(), nil, nil
		}
		if s.eof {
			return nil, s.partialOn(ErrClosed), ErrClosed
		}
		if err := s.fill(w, st, what, want(), deadline); err != nil {
			if err == ErrSuspended {
				return nil, nil, err
			}
			return nil, s.partialOn(err), err
		}
	}
}

// partialOn hands over what is buffered when a receive fails: after EOF
// every byte left (consumed: nothing more will come); after a timeout or
// another error a copy, the bytes staying buffered for the next call.
func (s *Socket) partialOn(err error) []byte {
	if errors.Is(err, ErrClosed) {
		return s.rb.Take(s.rb.Len())
	}
	return bytes.Clone(s.rb.Bytes())
}

// RecvExactly returns exactly n bytes, or fails with the bytes so far as
// partial (see partialOn).
func (s *Socket) RecvExactly(w Waiter, n int) (data, partial []byte, err error) {
	return s.receive(w, "recv_exactly",
		func() int { return n - s.rb.Len() },
		func(buf []byte, _ bool) (bool, error) { return len(buf) >= n, nil },
		func() []byte { return s.rb.Take(n) })
}

// RecvUntil returns the bytes before the next delim and consumes the
// delimiter too. At most max bytes (the delimiter included) are scanned;
// past that it fails with ErrTooLong, the bytes staying buffered.
func (s *Socket) RecvUntil(w Waiter, delim []byte, max int) (data, partial []byte, err error) {
	found, scanned := -1, 0
	return s.receive(w, "recv_until",
		func() int { return minReadSize },
		func(buf []byte, _ bool) (bool, error) {
			if i := bytes.Index(buf[scanned:], delim); i >= 0 && scanned+i+len(delim) <= max {
				found = scanned + i
				return true, nil
			}
			if len(buf) >= max {
				return false, ErrTooLong
			}
			scanned = max0(len(buf) - len(delim) + 1)
			return false, nil
		},
		func() []byte {
			data := s.rb.Take(found)
			s.rb.Consume(len(delim))
			return data
		})
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// Decoder finds one frame at the start of buf: (used, msg, nil) for a frame,
// (0, nil, nil) when it needs more bytes, or an error for bad input. It is
// framing.Codec's Decode.
type Decoder func(buf []byte) (used int, msg []byte, err error)

// RecvFrame reads until dec finds a whole frame and returns its payload;
// the bytes after it stay buffered. A frame already buffered costs no
// system call and no wait. A decode error (bad header, frame too large) is
// returned as is, the bytes staying buffered.
func (s *Socket) RecvFrame(w Waiter, dec Decoder) (msg, partial []byte, err error) {
	partial, err = s.RecvFrameWith(w, dec, func(frame []byte) { msg = bytes.Clone(frame) })
	return msg, partial, err
}

// TakeBufferedFrame is RecvFrameWith's quick path, for a frame already
// buffered: when the socket is a connected stream nobody else is reading,
// not traced, and dec finds a whole frame at the front of its buffer, it
// hands the frame to use, consumes it and reports true, with no deadline,
// no closure and no wait. Otherwise it changes nothing and reports false,
// and RecvFrameWith does the whole thing (a bad frame then gets its error
// there). It is Buffered's steps written out: through Buffered's callback
// the pipelined echo benchmark ran 2% slower (6 pinned pairs).
func (s *Socket) TakeBufferedFrame(dec Decoder, use func(frame []byte)) bool {
	if s.typ != SOCK_STREAM || s.closed.Load() || s.Tracing() || !s.rd.tryAcquire() {
		return false
	}
	defer s.releaseRead()
	buf := s.rb.Bytes()
	if len(buf) == 0 {
		return false
	}
	used, frame, err := dec(buf)
	if err != nil || used == 0 {
		return false
	}
	use(frame)
	s.rb.Consume(used)
	return true
}

// RecvFrameWith is RecvFrame handing the frame to use, which must copy
// what it keeps: frame is the socket's buffer, valid only during the call
// (a framed recv makes its Lua string straight from it).
func (s *Socket) RecvFrameWith(w Waiter, dec Decoder, use func(frame []byte)) (partial []byte, err error) {
	var used int
	var frame []byte
	_, partial, err = s.receive(w, "recv frame",
		func() int { return minReadSize },
		func(buf []byte, _ bool) (bool, error) {
			if len(buf) == 0 {
				return false, nil
			}
			var derr error
			used, frame, derr = dec(buf)
			return used > 0, derr
		},
		func() []byte {
			use(frame)
			if s.Tracing() {
				name, _ := s.Framer()
				s.Emit(Event{Kind: wiretrace.Frame, Data: frame, Codec: name, Used: used, Ctx: w.Context()})
			}
			s.rb.Consume(used)
			return nil
		})
	return partial, err
}

// Peek returns up to n buffered bytes without consuming them, reading
// (and waiting) first when nothing is buffered; at EOF it returns an
// empty slice.
func (s *Socket) Peek(w Waiter, n int) ([]byte, error) {
	data, _, err := s.receive(w, "peek",
		func() int { return minReadSize },
		func(buf []byte, eof bool) (bool, error) { return len(buf) > 0 || eof, nil },
		func() []byte { return bytes.Clone(s.rb.Bytes()[:min(n, s.rb.Len())]) })
	if errors.Is(err, ErrClosed) && !s.Closed() {
		return []byte{}, nil
	}
	return data, err
}

// Unread puts p back in front of the buffered bytes: the next receive of
// any kind returns them first.
func (s *Socket) Unread(w Waiter, p []byte) error {
	if _, err := s.stream(); err != nil {
		return err
	}
	if err := s.rd.acquire(w, "unread"); err != nil {
		return err
	}
	defer s.releaseRead()
	return s.rb.Unread(p)
}

// Buffered runs fn over the bytes already buffered, with the read slot
// held, without waiting: fn returns how many to consume. ok is false when
// another reader holds the socket. Frame decoders written in Lua read
// through it.
func (s *Socket) Buffered(fn func(buf []byte, eof bool) (consume int)) (ok bool) {
	if !s.rd.tryAcquire() {
		return false
	}
	defer s.releaseRead()
	n := fn(s.rb.Bytes(), s.eof)
	s.rb.Consume(min(n, s.rb.Len()))
	return true
}

// ReadMore reads once into the buffer, waiting until some bytes arrive;
// at EOF it returns ErrClosed. limit bounds the buffer: with limit or more
// bytes buffered it returns ErrTooLong at once. It waits for the read slot
// if another reader has it.
func (s *Socket) ReadMore(w Waiter, limit int) error {
	st, err := s.stream()
	if err != nil {
		return err
	}
	if err := s.rd.acquire(w, "recv frame"); err != nil {
		return err
	}
	defer s.releaseRead()
	start := s.rb.Len()
	deadline := s.deadline(w)
	for {
		switch {
		case s.rb.Len() > start:
			return nil
		case s.rb.Len() >= limit:
			return ErrTooLong
		case s.eof:
			return ErrClosed
		}
		if err := s.fill(w, st, "recv frame", minReadSize, deadline); err != nil {
			return err
		}
	}
}
