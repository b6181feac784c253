package netio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// Network opens listeners, connections and datagram sockets: the
// operating system's (Real), or an in-process one (MemNetwork, for
// virtual time, where the host must know that nothing is in flight).
type Network interface {
	// listen binds a stream socket to addr and listens.
	listen(network, addr string) (listener, error)
	// dial connects to addr from local (nil: any), waiting through w.
	dial(w Waiter, network, addr string, local net.Addr, deadline time.Time) (stream, error)
	// listenPacket binds a datagram socket to addr.
	listenPacket(network, addr string) (packetConn, error)
	// dialPacket makes a datagram socket whose peer is fixed to addr.
	dialPacket(network, addr string, local net.Addr) (packetConn, error)
}

// listener is a bound stream socket that accepts connections.
type listener interface {
	// accept takes a waiting connection, waiting for one through w
	// unless nonBlocking (then errWouldBlock).
	accept(w Waiter, deadline time.Time, nonBlocking bool) (stream, error)
	addr() net.Addr
	close() error
}

// Real is the operating system's network.
var Real Network = realNetwork{}

type realNetwork struct{}

func (realNetwork) listen(network, addr string) (listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	return newRealListener(ln)
}

func (realNetwork) dial(w Waiter, network, addr string, local net.Addr, deadline time.Time) (stream, error) {
	var c net.Conn
	var err error
	target := localTarget(network, addr)
	werr := w.Outside("connect "+addr, nil, func(ctx context.Context) error {
		d := net.Dialer{LocalAddr: local, Deadline: deadline}
		c, err = d.DialContext(ctx, network, addr)
		if err == nil && target != nil {
			target.dialed.Add(1)
		}
		return nil
	})
	switch {
	case werr != nil:
		if c != nil {
			c.Close() // connected just as the task was cancelled
		}
		return nil, werr
	case err != nil:
		if w.Context().Err() != nil {
			return nil, ErrCancelled
		}
		return nil, err
	}
	st, err := newRealStream(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return st, nil
}

func (realNetwork) listenPacket(network, addr string) (packetConn, error) {
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return nil, err
	}
	return newRealPacket(pc)
}

func (realNetwork) dialPacket(network, addr string, local net.Addr) (packetConn, error) {
	d := net.Dialer{LocalAddr: local}
	c, err := d.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return newRealPacket(c.(net.PacketConn))
}

// realListener is a listening socket of the operating system's.
type realListener struct {
	ln       net.Listener
	fd       int
	closing  context.Context // done when the listener closes: ends waits
	shut     context.CancelFunc
	ending   atomic.Bool  // an accept's wait is over: it is taking a connection
	key      string       // its address in the registry of local.go
	accepted atomic.Int64 // connections accepted
	dialed   atomic.Int64 // connections made to it by this process
}

func newRealListener(ln net.Listener) (*realListener, error) {
	r := &realListener{ln: ln, fd: -1}
	r.closing, r.shut = context.WithCancel(context.Background())
	if sc, ok := ln.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { r.fd = int(fd) })
		}
	}
	r.register()
	return r, nil
}

func (r *realListener) addr() net.Addr { return r.ln.Addr() }
func (r *realListener) close() error {
	r.unregister()
	r.shut()
	return r.ln.Close()
}

func (r *realListener) accept(w Waiter, deadline time.Time, nonBlocking bool) (stream, error) {
	if nonBlocking && !pollIn(r.fd) {
		return nil, errWouldBlock
	}
	var c net.Conn
	var err error
	// The probe: a connection is queued, or the wait is over and the
	// accept is taking it (ending is set before the queue empties).
	probe := func() bool { return pollIn(r.fd) || r.ending.Load() }
	werr := w.Outside("accept", probe, func(ctx context.Context) error {
		dl, ok := r.ln.(interface{ SetDeadline(time.Time) error })
		if !ok {
			return fmt.Errorf("listener %T has no deadline", r.ln)
		}
		if r.fd >= 0 {
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			unhook := context.AfterFunc(r.closing, stop) // a close ends the wait
			defer unhook()
			if err = WaitReadable(wctx, r.fd, deadline); err != nil {
				if r.closing.Err() != nil {
					err = net.ErrClosed
				}
				return nil
			}
			r.ending.Store(true)
		}
		stop := watch(ctx, deadline, dl.SetDeadline)
		defer stop()
		c, err = r.ln.Accept()
		return nil
	})
	r.ending.Store(false)
	if werr != nil {
		if c != nil {
			c.Close() // accepted just as the task was cancelled
		}
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	r.accepted.Add(1)
	st, err := newRealStream(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return st, nil
}

// Listen is socket.listen(addr): a TCP socket bound to addr and listening.
func Listen(nw Network, addr string) (*Socket, error) {
	network := "tcp"
	if isUnixPath(addr) {
		network = "unix"
	}
	ln, err := nw.listen(network, addr)
	if err != nil {
		return nil, err
	}
	s := mustNew(nw, familyOf(ln.addr()), SOCK_STREAM)
	s.ln, s.listening = ln, true
	return s, nil
}

// isUnixPath reports whether addr names a Unix socket file.
func isUnixPath(addr string) bool {
	_, _, err := net.SplitHostPort(addr)
	return err != nil && (len(addr) > 0 && (addr[0] == '/' || addr[0] == '.' || addr[0] == '@'))
}

// Dial is socket.connect(addr[, timeout]): a connected TCP socket.
// timeout <= 0 means none.
func Dial(w Waiter, nw Network, addr string, timeout time.Duration) (*Socket, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = w.Now().Add(timeout)
	}
	network := "tcp"
	if isUnixPath(addr) {
		network = "unix"
	}
	st, err := nw.dial(w, network, addr, nil, deadline)
	if err != nil {
		return nil, err
	}
	return withStream(nw, st), nil
}

// Bind gives a fresh socket its local address. A stream socket is bound at
// once (so "address already in use" shows here, as in Python) and starts
// accepting only after Listen; a datagram socket can receive from now on.
// Binding a closed socket fails with ErrClosed and opens nothing.
func (s *Socket) Bind(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed.Load():
		return ErrClosed
	case s.st != nil || s.ln != nil || s.pc != nil:
		return ErrInUse
	}
	if s.typ == SOCK_DGRAM {
		pc, err := s.nw.listenPacket(s.network(), addr)
		if err != nil {
			return err
		}
		s.pc = pc
		return nil
	}
	ln, err := s.nw.listen(s.network(), addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Listen makes a bound stream socket accept connections. An unbound one is
// first bound to the loopback address on a port the OS picks. The backlog
// is accepted for Python's sake; the system's applies.
func (s *Socket) Listen() error {
	if s.typ != SOCK_STREAM {
		return ErrNotStream
	}
	s.mu.Lock()
	bound, inUse := s.ln != nil, s.st != nil
	s.mu.Unlock()
	if inUse {
		return ErrInUse
	}
	if !bound {
		if err := s.Bind(s.loopback()); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.listening = true
	s.mu.Unlock()
	return nil
}

func (s *Socket) loopback() string {
	switch s.family {
	case AF_INET6:
		return "[::1]:0"
	case AF_UNIX:
		return ""
	}
	return "127.0.0.1:0"
}

// Connect connects a fresh (or bound) socket to addr. A bound stream socket
// connects from its bound address; a datagram socket only fixes its peer.
func (s *Socket) Connect(w Waiter, addr string) error {
	s.mu.Lock()
	switch {
	case s.closed.Load():
		s.mu.Unlock()
		return ErrClosed
	case s.st != nil || s.listening:
		s.mu.Unlock()
		return ErrInUse
	}
	var local net.Addr
	if s.ln != nil {
		local = s.ln.addr()
		s.ln.close()
		s.ln = nil
	}
	if s.pc != nil {
		local = s.pc.localAddr()
		s.pc.close()
		s.pc = nil
	}
	s.mu.Unlock()
	if s.typ == SOCK_DGRAM {
		pc, err := s.nw.dialPacket(s.network(), addr, local)
		if err != nil {
			return err
		}
		return s.adoptPacket(pc)
	}
	st, err := s.nw.dial(w, s.network(), addr, local, s.deadline(w))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		st.close()
		return ErrClosed
	}
	s.setStream(st)
	return nil
}

// adoptPacket installs a datagram connection, unless the socket was
// closed meanwhile.
func (s *Socket) adoptPacket(pc packetConn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		pc.close()
		return ErrClosed
	}
	s.pc = pc
	return nil
}

// Accept takes the next connection of a listening socket, waiting for one.
// At the limit of open files it first frees what the garbage collector
// can (sockets no Lua value refers to), then pauses 5 ms, doubling each
// time up to 1 s while the limit holds, before it reports
// ErrTooManyFiles: a server that loops on accept never spins.
func (s *Socket) Accept(w Waiter) (*Socket, error) {
	s.mu.Lock()
	ln, listening := s.ln, s.listening
	s.mu.Unlock()
	switch {
	case s.closed.Load():
		return nil, ErrClosed
	case !listening:
		return nil, ErrNotListening
	}
	if err := s.rd.acquire(w, "accept"); err != nil {
		return nil, err
	}
	defer s.rd.release()
	deadline := s.deadline(w)
	if s.nonBlocking() {
		deadline = time.Time{} // accept only waits when a connection is queued
	}
	st, err := ln.accept(w, deadline, s.nonBlocking())
	if isFileLimit(err) {
		runtime.GC() // closes unreachable sockets (their cleanups run now)
		runtime.Gosched()
		st, err = ln.accept(w, deadline, true)
		if isFileLimit(err) || err == errWouldBlock {
			return nil, s.pauseAtFileLimit(w)
		}
	}
	if err == errWouldBlock {
		return nil, ErrTimeout
	}
	if err != nil {
		return nil, s.failed(w, "accept", err)
	}
	s.backoff = 0
	c := withStream(s.nw, st)
	c.rb.budget = s.rb.budget
	s.mu.Lock()
	ts := s.tlsServer
	s.mu.Unlock()
	if ts != nil {
		tst, err := c.wrapTLS(st, nil, ts.opts, false, ts.cert)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.setStream(tst) // its handshake runs at its first read or write
	}
	return c, nil
}

// isFileLimit reports whether err is EMFILE or ENFILE.
func isFileLimit(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// pauseAtFileLimit waits the current back-off (5 ms, doubling up to 1 s)
// and returns ErrTooManyFiles, or why the wait ended early.
func (s *Socket) pauseAtFileLimit(w Waiter) error {
	switch {
	case s.backoff == 0:
		s.backoff = 5 * time.Millisecond
	case s.backoff < time.Second:
		s.backoff = min(2*s.backoff, time.Second)
	}
	err := w.Park("accept: too many open files", w.Now().Add(s.backoff), func(func() bool) func() { return func() {} })
	if err != nil && err != ErrTimeout {
		return err
	}
	return ErrTooManyFiles
}
