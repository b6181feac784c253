package netio

import (
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Held output that refers to messages instead of copying them.
//
// A framed send whose output is held back (see SendFrame) copies its
// frame into the socket's output buffer wbuf. For a large message that
// copy is most of the send's cost, and needless: the message is a Lua
// string, which never changes. So on a connection of the operating
// system's, a message of minReferenced bytes or more stays where it is:
// wbuf gets the bytes around it (a header, a trailer), and the socket's
// held parts say where in wbuf's bytes each message goes. The held output
// is then written by one writev. Whatever is left after a short write is
// copied flat into wbuf, so the waits, the trace and TLS only ever see
// one buffer.
//
// A frame that is not held back is copied as before: written alone, its
// copy costs about what a writev's second piece does (a 4 KiB echo at
// 256 connections measured the same either way).

// minReferenced is the smallest message held output refers to rather
// than copies: below it, a copy costs less than a writev's extra piece.
const minReferenced = 1 << 10

// vectorWriter is a stream that can write several buffers in one system
// call (a connection of the operating system's).
type vectorWriter interface {
	// tryWritev writes as much of iov's bytes, in order, as fits without
	// waiting (n may be short, with errWouldBlock).
	tryWritev(iov []unix.Iovec) (int, error)
}

// heldPart is a message the held output refers to: it goes after
// wbuf[:at], before the rest of wbuf.
type heldPart struct {
	at  int
	msg []byte
}

// heldParts are a socket's held parts, with room to build a writev's
// pieces; pooled, so held output allocates nothing. Held output is at
// most maxDeferred bytes and one frame, so a writev has at most
// 2*(maxDeferred/minReferenced+1)+1 pieces (131), far under IOV_MAX.
type heldParts struct {
	parts  []heldPart
	size   int // the bytes of the parts' messages
	pieces [][]byte
	iov    []unix.Iovec
}

var heldPartsPool = sync.Pool{New: func() any { return new(heldParts) }}

// mayRefer reports whether a frame of msg, held back, may refer to it
// rather than copy it (the caller holds the write slot).
func (s *Socket) mayRefer(st stream, msg []byte, around Around) bool {
	if around == nil || len(msg) < minReferenced || s.Tracing() {
		return false
	}
	_, ok := st.(vectorWriter)
	return ok
}

// refer adds msg to the held output at wbuf[:at], without a copy.
func (s *Socket) refer(at int, msg []byte) {
	if s.held == nil {
		s.held = heldPartsPool.Get().(*heldParts)
	}
	s.held.parts = append(s.held.parts, heldPart{at, msg})
	s.held.size += len(msg)
}

// heldLen is how many bytes of output are held: wbuf's and its parts'.
func (s *Socket) heldLen() int {
	if s.held == nil {
		return len(s.wbuf)
	}
	return len(s.wbuf) + s.held.size
}

// piecesOf is the held output's bytes in order: wbuf's and the messages.
func (h *heldParts) piecesOf(wbuf []byte) [][]byte {
	v := h.pieces[:0]
	from := 0
	for _, p := range h.parts {
		if p.at > from {
			v = append(v, wbuf[from:p.at])
		}
		v = append(v, p.msg)
		from = p.at
	}
	if len(wbuf) > from {
		v = append(v, wbuf[from:])
	}
	h.pieces = v
	return v
}

// iovOf is pieces as a writev's vector.
func (h *heldParts) iovOf(pieces [][]byte) []unix.Iovec {
	iov := h.iov[:0]
	for _, p := range pieces {
		var v unix.Iovec
		v.Base = unsafe.SliceData(p)
		v.SetLen(len(p))
		iov = append(iov, v)
	}
	h.iov = iov
	return iov
}

// tryWriteHeld writes what of the held output fits without waiting, in
// one write or writev, and reports how much went. When not all of it
// went (errWouldBlock), wbuf is left holding the rest, flat.
func (s *Socket) tryWriteHeld(st stream) (int, error) {
	total := s.heldLen()
	var n int
	var err error
	if vw, ok := st.(vectorWriter); ok && s.held != nil {
		n, err = vw.tryWritev(s.held.iovOf(s.held.piecesOf(s.wbuf)))
	} else {
		if s.held != nil {
			s.keepUnwritten(0) // the stream has changed (TLS) since
		}
		n, err = st.tryWrite(s.wbuf)
	}
	if err == nil && n < total {
		err = errWouldBlock // a short write: the rest must wait
	}
	if err == errWouldBlock {
		s.keepUnwritten(n)
	}
	return n, err
}

// keepUnwritten leaves in wbuf, flat, the held output after its first n
// bytes (those written).
func (s *Socket) keepUnwritten(n int) {
	if s.held == nil {
		s.wbuf = s.wbuf[:copy(s.wbuf, s.wbuf[n:])]
		return
	}
	rest := getStorage(sizeFor(s.heldLen() - n))[:0]
	for _, p := range s.held.piecesOf(s.wbuf) {
		k := min(n, len(p))
		rest = append(rest, p[k:]...)
		n -= k
	}
	s.dropParts()
	if s.wbuf != nil {
		putStorage(s.wbuf)
	}
	s.wbuf = rest
}

// dropParts forgets the held parts (their messages are written or
// copied) and gives their room back to the pool.
func (s *Socket) dropParts() {
	h := s.held
	if h == nil {
		return
	}
	s.held = nil
	clear(h.parts) // the messages may be collected
	clear(h.pieces)
	clear(h.iov)
	h.parts, h.pieces, h.iov, h.size = h.parts[:0], h.pieces[:0], h.iov[:0], 0
	heldPartsPool.Put(h)
}

// writevCall is a realStream's writev under way, with the function
// handed to the poller made once: made at the stream's first writev, so
// a connection that never holds large replies back pays nothing for it.
// Guarded by the socket's write slot.
type writevCall struct {
	iov  []unix.Iovec
	n    int
	err  error
	call func(fd uintptr) bool
}

// tryWritev makes one writev system call (see vectorWriter).
func (r *realStream) tryWritev(iov []unix.Iovec) (int, error) {
	c := r.wv
	if c == nil {
		c = new(writevCall)
		c.call = func(fd uintptr) bool {
			c.n, c.err = writevFD(fd, c.iov)
			r.sent.Add(int64(c.n))
			return true
		}
		r.wv = c
	}
	c.iov = iov
	cerr := r.rc.Write(c.call)
	n, err := c.n, c.err
	c.iov, c.n, c.err = nil, 0, nil
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}

// writevFD makes one writev system call: EAGAIN is errWouldBlock.
func writevFD(fd uintptr, iov []unix.Iovec) (int, error) {
	for {
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, os.NewSyscallError("writev", e)
	}
}
