package netio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// maxDirectRead caps the buffer recv(n) reads into: recv returns "up to n".
const maxDirectRead = 1 << 20

// DefaultRecvUntilMax is recv_until's default bound: 64 KiB.
const DefaultRecvUntilMax = 64 << 10

// stream returns the connection of a connected socket.
func (s *Socket) stream() (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		if s.closed.Load() {
			return nil, ErrSocketClosed
		}
		return nil, ErrNotConnected
	}
	return s.conn, nil
}

// Recv is Python's recv(n): up to n bytes, an empty slice at EOF. Buffered
// bytes (left by recv_until, recv_exactly or a framed read) come first;
// otherwise it makes one read of at most n bytes from the connection, so
// recv(8) really reads 8 bytes at a time. On a datagram socket it returns
// one datagram, cut to n bytes.
func (s *Socket) Recv(ctx context.Context, n int) ([]byte, error) {
	if s.typ == SOCK_DGRAM {
		p, _, err := s.RecvFrom(ctx, n)
		return p, err
	}
	c, err := s.stream()
	if err != nil {
		return nil, err
	}
	if err := acquire(ctx, s.rsem); err != nil {
		return nil, err
	}
	defer release(s.rsem)
	if s.rb.Len() > 0 {
		return s.rb.Take(min(n, s.rb.Len())), nil
	}
	if s.eof || n == 0 {
		return []byte{}, nil
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	p := make([]byte, min(n, maxDirectRead))
	stop := watch(ctx, s.deadline(), c.SetReadDeadline)
	k, err := c.Read(p)
	stop()
	s.observe(Recv, p[:k])
	if k > 0 {
		return p[:k], nil
	}
	if errors.Is(err, io.EOF) {
		s.eof = true
		return []byte{}, nil
	}
	return nil, s.ioError(ctx, err)
}

// fillUntil reads into the buffer until ready reports done or an error.
// ready sees the buffered bytes and whether the peer has closed; when it
// returns false at EOF, fillUntil returns ErrClosed. want hints how many
// more bytes are needed. The caller holds rsem.
func (s *Socket) fillUntil(ctx context.Context, c net.Conn, want func() int, ready func(buf []byte, eof bool) (bool, error)) error {
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	for {
		done, err := ready(s.rb.Bytes(), s.eof)
		if done || err != nil {
			return err
		}
		if s.eof {
			return ErrClosed
		}
		if s.Pending() {
			if err := s.Flush(ctx); err != nil {
				return err
			}
		}
		if stop == nil {
			stop = watch(ctx, s.deadline(), c.SetReadDeadline)
		}
		p := s.rb.space(want())
		k, err := c.Read(p)
		s.observe(Recv, p[:k])
		s.rb.commit(k)
		if errors.Is(err, io.EOF) {
			s.eof = true
		} else if err != nil && k == 0 {
			return s.ioError(ctx, err)
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
func (s *Socket) RecvExactly(ctx context.Context, n int) (data, partial []byte, err error) {
	return s.receive(ctx,
		func() int { return n - s.rb.Len() },
		func(buf []byte, _ bool) (bool, error) { return len(buf) >= n, nil },
		func() []byte { return s.rb.Take(n) })
}

// receive is the shape of every buffered receive: with the read side held
// it fills the buffer until ready, then takes the result with take; on
// failure it hands over partial (see partialOn).
func (s *Socket) receive(ctx context.Context, want func() int, ready func(buf []byte, eof bool) (bool, error), take func() []byte) (data, partial []byte, err error) {
	c, err := s.streamOnly()
	if err != nil {
		return nil, nil, err
	}
	if err := acquire(ctx, s.rsem); err != nil {
		return nil, nil, err
	}
	defer release(s.rsem)
	if err := s.fillUntil(ctx, c, want, ready); err != nil {
		return nil, s.partialOn(err), err
	}
	return take(), nil, nil
}

// RecvUntil returns the bytes before the next delim and consumes the
// delimiter too. At most max bytes (the delimiter included) are scanned;
// past that it fails with ErrTooLong, the bytes staying buffered.
func (s *Socket) RecvUntil(ctx context.Context, delim []byte, max int) (data, partial []byte, err error) {
	found, scanned := -1, 0
	return s.receive(ctx,
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

// TryFrame decodes a frame from the bytes already buffered, without any I/O
// and without waiting: ok is false when another reader holds the socket or
// no whole frame is buffered. It is the framed fast path: a caller holding
// the interpreter lock can use it without releasing it.
func (s *Socket) TryFrame(dec Decoder) (msg []byte, ok bool, err error) {
	select {
	case s.rsem <- struct{}{}:
	default:
		return nil, false, nil
	}
	defer release(s.rsem)
	if s.rb.Len() == 0 {
		return nil, false, nil
	}
	used, m, err := dec(s.rb.Bytes())
	if err != nil {
		return nil, true, err
	}
	if used == 0 {
		return nil, false, nil
	}
	msg = bytes.Clone(m)
	s.rb.Consume(used)
	return msg, true, nil
}

// RecvFrame reads until dec finds a whole frame and returns its payload;
// the bytes after it stay buffered. A decode error (bad header, frame too
// large) is returned as is, the bytes staying buffered.
func (s *Socket) RecvFrame(ctx context.Context, dec Decoder) (msg, partial []byte, err error) {
	var used int
	var frame []byte
	return s.receive(ctx,
		func() int { return minReadSize },
		func(buf []byte, _ bool) (bool, error) {
			var derr error
			used, frame, derr = dec(buf)
			return used > 0, derr
		},
		func() []byte {
			msg := bytes.Clone(frame)
			s.rb.Consume(used)
			return msg
		})
}

func (s *Socket) streamOnly() (net.Conn, error) {
	if s.typ != SOCK_STREAM {
		return nil, ErrNotStream
	}
	return s.stream()
}

// Send writes all of p (Go's Write does not return short on a stream) and
// returns how many bytes went out.
func (s *Socket) Send(ctx context.Context, p []byte) (int, error) {
	c, err := s.stream()
	if err != nil {
		return 0, err
	}
	if err := acquire(ctx, s.wsem); err != nil {
		return 0, err
	}
	defer release(s.wsem)
	if len(s.wbuf) > 0 {
		// Deferred frames go first, in the same write.
		s.wbuf = append(s.wbuf, p...)
		err := s.writeDeferred(ctx, c)
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	stop := watch(ctx, s.deadline(), c.SetWriteDeadline)
	n, err := c.Write(p)
	stop()
	s.observe(Send, p[:n])
	if err != nil {
		return n, s.ioError(ctx, err)
	}
	return n, nil
}

// maxDeferred bounds the output Defer may hold back.
const maxDeferred = 64 << 10

// Defer queues p to be written later, in one write with what follows,
// instead of a write system call now; it is how a framed reply to a
// pipelined request avoids a syscall per frame. It succeeds only when the
// peer has already sent more input (so the program will read, and so
// flush, again soon), no other writer is busy and the queue stays within
// its bound; otherwise the caller sends as usual. The queue is written
// before the socket next reads from the connection, by any Send, by Flush
// and by Close.
func (s *Socket) Defer(p []byte) bool {
	if !s.hasBufferedInput() {
		return false
	}
	select {
	case s.wsem <- struct{}{}:
	default:
		return false
	}
	defer release(s.wsem)
	if len(s.wbuf)+len(p) > maxDeferred {
		return false
	}
	s.wbuf = append(s.wbuf, p...)
	s.pending.Store(int64(len(s.wbuf)))
	return true
}

// hasBufferedInput reports, without waiting, whether received bytes are
// buffered and no reader is busy.
func (s *Socket) hasBufferedInput() bool {
	select {
	case s.rsem <- struct{}{}:
	default:
		return false
	}
	defer release(s.rsem)
	return s.rb.Len() > 0
}

// Pending reports whether deferred output waits to be written.
func (s *Socket) Pending() bool { return s.pending.Load() > 0 }

// Flush writes the deferred output.
func (s *Socket) Flush(ctx context.Context) error {
	if !s.Pending() {
		return nil
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	if err := acquire(ctx, s.wsem); err != nil {
		return err
	}
	defer release(s.wsem)
	return s.writeDeferred(ctx, c)
}

// writeDeferred writes and empties wbuf; the caller holds wsem.
func (s *Socket) writeDeferred(ctx context.Context, c net.Conn) error {
	stop := watch(ctx, s.deadline(), c.SetWriteDeadline)
	n, err := c.Write(s.wbuf)
	stop()
	s.observe(Send, s.wbuf[:n])
	s.wbuf = s.wbuf[:0]
	if cap(s.wbuf) > maxDeferred {
		s.wbuf = nil
	}
	s.pending.Store(0)
	if err != nil {
		return s.ioError(ctx, err)
	}
	return nil
}

// flushBeforeClose writes deferred output, waiting at most a second for
// the write. Close may run under the interpreter lock, so it never waits
// for another writer: one that holds the write side writes the deferred
// output itself (Send sends it first).
func (s *Socket) flushBeforeClose() {
	if !s.Pending() {
		return
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return
	}
	select {
	case s.wsem <- struct{}{}:
	default:
		return
	}
	defer release(s.wsem)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.writeDeferred(ctx, c)
}

// packet returns the socket's packet connection, binding a fresh datagram
// socket to an OS-chosen port first (as Python does on the first sendto).
func (s *Socket) packet() (net.PacketConn, error) {
	if s.typ != SOCK_DGRAM {
		return nil, ErrNotDatagram
	}
	s.mu.Lock()
	pc, conn := s.pc, s.conn
	s.mu.Unlock()
	if pc != nil {
		return pc, nil
	}
	if conn != nil {
		return conn.(net.PacketConn), nil
	}
	if s.closed.Load() {
		return nil, ErrSocketClosed
	}
	if err := s.Bind(""); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pc, nil
}

// SendTo sends one datagram to addr.
func (s *Socket) SendTo(ctx context.Context, p []byte, addr string) (int, error) {
	pc, err := s.packet()
	if err != nil {
		return 0, err
	}
	to, err := net.ResolveUDPAddr(s.network(), addr)
	if err != nil {
		return 0, err
	}
	if err := acquire(ctx, s.wsem); err != nil {
		return 0, err
	}
	defer release(s.wsem)
	stop := watch(ctx, s.deadline(), pc.SetWriteDeadline)
	var n int
	if c, ok := pc.(*net.UDPConn); ok && c.RemoteAddr() != nil {
		n, err = c.Write(p)
	} else {
		n, err = pc.WriteTo(p, to)
	}
	stop()
	s.observe(Send, p[:n])
	if err != nil {
		return n, s.ioError(ctx, err)
	}
	return n, nil
}

// RecvFrom receives one datagram, cut to n bytes, and its sender's address.
func (s *Socket) RecvFrom(ctx context.Context, n int) ([]byte, net.Addr, error) {
	pc, err := s.packet()
	if err != nil {
		return nil, nil, err
	}
	if err := acquire(ctx, s.rsem); err != nil {
		return nil, nil, err
	}
	defer release(s.rsem)
	p := make([]byte, min(n, maxDirectRead))
	stop := watch(ctx, s.deadline(), pc.SetReadDeadline)
	k, from, err := pc.ReadFrom(p)
	stop()
	s.observe(Recv, p[:k])
	if err != nil {
		return nil, nil, s.ioError(ctx, err)
	}
	return p[:k], from, nil
}

// TryLockReader takes the socket's read side without waiting and returns
// the buffered bytes (valid until UnlockReader) and whether the peer has
// closed; ok is false when another reader holds it. Frame decoders written
// in Lua read through it: they run with the interpreter lock held, so they
// must never wait for a reader that may itself wait for that lock.
func (s *Socket) TryLockReader() (buf []byte, eof, ok bool) {
	select {
	case s.rsem <- struct{}{}:
		return s.rb.Bytes(), s.eof, true
	default:
		return nil, false, false
	}
}

// UnlockReader consumes the first n buffered bytes and releases the read
// side taken by TryLockReader.
func (s *Socket) UnlockReader(n int) {
	s.rb.Consume(min(n, s.rb.Len()))
	release(s.rsem)
}

// WaitReader waits until no other reader holds the socket.
func (s *Socket) WaitReader(ctx context.Context) error {
	if err := acquire(ctx, s.rsem); err != nil {
		return err
	}
	release(s.rsem)
	return nil
}

// ReadMore reads once from the connection into the buffer, waiting until
// some bytes arrive; at EOF it returns ErrClosed. limit bounds the buffer:
// with limit or more bytes buffered it returns ErrTooLong at once.
func (s *Socket) ReadMore(ctx context.Context, limit int) error {
	c, err := s.streamOnly()
	if err != nil {
		return err
	}
	if err := acquire(ctx, s.rsem); err != nil {
		return err
	}
	defer release(s.rsem)
	start := s.rb.Len()
	return s.fillUntil(ctx, c,
		func() int { return minReadSize },
		func(buf []byte, _ bool) (bool, error) {
			if len(buf) > start {
				return true, nil
			}
			if len(buf) >= limit {
				return false, ErrTooLong
			}
			return false, nil
		})
}

// ObserveFrame reports a whole frame to the socket's tap (FrameRecv or
// FrameSend), so a trace shows where each frame begins and ends.
func (s *Socket) ObserveFrame(dir Direction, codec string, msg []byte) {
	if t := s.tap.Load(); t != nil {
		(*t)(s, Event{Dir: dir, Data: msg, Codec: codec})
	}
}

// Tracing reports whether a tap is installed (to skip work for it).
func (s *Socket) Tracing() bool { return s.tap.Load() != nil }
