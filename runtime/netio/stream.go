package netio

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errWouldBlock: nothing can be done without waiting.
var errWouldBlock = errors.New("would block")

// stream is one connected byte stream under a socket: a real TCP or Unix
// connection, an in-process one (virtual time), or TLS over either.
type stream interface {
	// tryRead reads what is ready into p without waiting: n > 0, or
	// errWouldBlock, or io.EOF, or another error.
	tryRead(p []byte) (int, error)
	// waitRead waits until something is ready to read, the deadline passes
	// (ErrTimeout) or the task is cancelled. A real connection reads into
	// p in the same system call that ends its wait (n > 0); an in-process
	// one only wakes (n == 0): tryRead then takes what arrived.
	waitRead(w Waiter, what string, deadline time.Time, p []byte) (int, error)
	// tryWrite writes as much of p as fits without waiting (n may be
	// short, with errWouldBlock).
	tryWrite(p []byte) (int, error)
	// waitWrite writes all of p, waiting as needed.
	waitWrite(w Waiter, deadline time.Time, p []byte) (int, error)
	// closeRead and closeWrite shut one direction; reset closes at once
	// with a reset; close closes.
	closeRead() error
	closeWrite() error
	reset() error
	close() error
	localAddr() net.Addr
	remoteAddr() net.Addr
	// netConn is the connection as a net.Conn (TLS wraps it).
	netConn() net.Conn
}

// realStream is a connection of the operating system's (TCP or Unix).
// Reads and writes that need no waiting are made with the task holding
// the interpreter, one system call each; a wait gives the interpreter up
// and is ended by the network poller.
type realStream struct {
	c  net.Conn
	rc syscall.RawConn
	fd int
	// ending is set while a wait's read or write is under way: the wait is
	// about to end (the REPL's quiet check looks at it).
	ending atomic.Bool
	// For connections whose peer may be in this process (local.go):
	local    bool         // the peer's address is a loopback or Unix one
	key      string       // our address in the registry
	sent     atomic.Int64 // bytes written
	consumed atomic.Int64 // bytes read

	// The call under way in each direction, with the functions handed to
	// the runtime's poller made once (a closure per call allocates):
	// guarded by the socket's read and write slots.
	rd, wr ioCall
	wv     *writevCall // see held.go; nil until the first writev
	probe  func() bool // probeRead as a value
}

// newRealStream wraps c, which must be a *net.TCPConn or *net.UnixConn.
func newRealStream(c net.Conn) (*realStream, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.New("connection has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &realStream{c: c, rc: rc, fd: -1}
	rc.Control(func(fd uintptr) { r.fd = int(fd) })
	r.initCalls()
	if isLocalAddr(c.RemoteAddr()) {
		r.local = true
		r.register()
	}
	return r, nil
}

// isLocalAddr reports whether a peer at a may be in this process.
func isLocalAddr(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

func (r *realStream) netConn() net.Conn    { return r.c }
func (r *realStream) localAddr() net.Addr  { return r.c.LocalAddr() }
func (r *realStream) remoteAddr() net.Addr { return r.c.RemoteAddr() }
func (r *realStream) close() error {
	if r.local {
		r.unregister()
	}
	return r.c.Close()
}

// readFD makes one read system call: EAGAIN is errWouldBlock, 0 bytes is
// io.EOF.
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// writeFD makes one write system call: EAGAIN is errWouldBlock.
func writeFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return max(n, 0), errWouldBlock
		case err != nil:
			return 0, os.NewSyscallError("write", err)
		}
		return n, nil
	}
}

// probeRead says whether a read wait is about to end: the descriptor has
// something to read (or an error or hang-up), or the read is under way.
// The order matters: a read that consumes the data sets ending first.
func (r *realStream) probeRead() bool {
	return pollIn(r.fd) || r.ending.Load()
}

// pollIn reports whether fd is readable now, without waiting.
func pollIn(fd int) bool {
	if fd < 0 {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents != 0
}

type halfCloser interface {
	CloseRead() error
	CloseWrite() error
}

func (r *realStream) closeRead() error {
	if hc, ok := r.c.(halfCloser); ok {
		return hc.CloseRead()
	}
	return ErrNotStream
}

func (r *realStream) closeWrite() error {
	if hc, ok := r.c.(halfCloser); ok {
		return hc.CloseWrite()
	}
	return ErrNotStream
}

// reset closes with SO_LINGER 0: the peer sees "connection reset".
func (r *realStream) reset() error {
	if tc, ok := r.c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return r.close()
}

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked call.
var aLongTimeAgo = time.Unix(1, 0)

// CancelHooker is a context with a cheap way to be told of its
// cancellation (a task's): the hook runs when it is cancelled, until
// cleared; SetCancelHook reports false when it is cancelled already.
type CancelHooker interface {
	SetCancelHook(f func()) bool
	ClearCancelHook()
}

// watch sets deadline (zero: none) with set and arranges for a cancelled
// ctx to wake the blocked call by setting a deadline in the past. The
// returned func undoes the arrangement, returns only once it can no
// longer fire, and clears the deadline.
func watch(ctx context.Context, deadline time.Time, set func(time.Time) error) func() {
	set(deadline)
	if h, ok := ctx.(CancelHooker); ok {
		if !h.SetCancelHook(func() { set(aLongTimeAgo) }) {
			set(aLongTimeAgo)
		}
		return func() {
			h.ClearCancelHook()
			set(time.Time{})
		}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		set(aLongTimeAgo)
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
		}
		set(time.Time{})
	}
}
