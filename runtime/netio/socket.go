// Package netio is the Go side of a netplay socket: Python's socket model
// (a fresh socket is bound, then listens or connects) over Go's net package,
// with one read buffer shared by every receive method, per-call deadlines and
// cancellation by context. It knows nothing of Lua.
package netio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Address families and socket types, with Linux's numbers (as Python's).
const (
	AF_UNIX     = 1
	AF_INET     = 2
	AF_INET6    = 10
	SOCK_STREAM = 1
	SOCK_DGRAM  = 2
)

// Misuse errors: calls that cannot make sense in the socket's state. The
// Lua layer raises these instead of returning them.
var (
	ErrNotConnected = errors.New("socket is not connected")
	ErrNotListening = errors.New("socket is not listening (call listen first)")
	ErrInUse        = errors.New("socket is already bound or connected")
	ErrNotStream    = errors.New("not a stream socket")
	ErrNotDatagram  = errors.New("not a datagram socket")
	ErrSocketClosed = errors.New("socket is closed")
)

// Direction tells a Tap what an Event is.
type Direction int

// Directions of events: bytes read or written, and whole frames a codec
// found or sent.
const (
	Recv Direction = iota
	Send
	FrameRecv
	FrameSend
)

// Event is one thing a socket did: bytes on the wire, or a whole frame.
type Event struct {
	Dir   Direction
	Data  []byte
	Codec string // for frame events: the codec's name
}

// Tap sees every byte a socket reads or writes and every frame a framed
// socket receives or sends (the wire trace hooks in here).
type Tap func(s *Socket, ev Event)

var lastID atomic.Int64

// Socket is one socket in any state: fresh, bound, listening, connected
// stream, or datagram. Methods that block take a context; cancelling it makes
// them return ErrCancelled at once without closing the socket.
type Socket struct {
	id     int64
	family int
	typ    int

	mu        sync.Mutex // guards the state fields below
	conn      net.Conn
	ln        net.Listener   // bound (by Bind) or listening stream socket
	pc        net.PacketConn // unconnected datagram socket
	listening bool
	closed    atomic.Bool

	timeout atomic.Int64 // nanoseconds; negative: none

	rsem chan struct{} // one reader at a time
	wsem chan struct{} // one writer at a time
	wbuf []byte        // deferred output (see Defer); guarded by wsem
	// pending is len(wbuf), readable without wsem.
	pending atomic.Int64
	rb      readBuffer // guarded by rsem
	eof     bool       // guarded by rsem

	tap atomic.Pointer[Tap]
}

// New returns a fresh socket of the given family (AF_INET, AF_INET6,
// AF_UNIX) and type (SOCK_STREAM, SOCK_DGRAM).
func New(family, typ int) (*Socket, error) {
	switch family {
	case AF_INET, AF_INET6, AF_UNIX:
	default:
		return nil, fmt.Errorf("unknown address family %d", family)
	}
	switch typ {
	case SOCK_STREAM, SOCK_DGRAM:
	default:
		return nil, fmt.Errorf("unknown socket type %d", typ)
	}
	s := &Socket{id: lastID.Add(1), family: family, typ: typ, rsem: make(chan struct{}, 1), wsem: make(chan struct{}, 1)}
	s.timeout.Store(-1)
	return s, nil
}

func mustNew(family, typ int) *Socket {
	s, err := New(family, typ)
	if err != nil {
		panic(err)
	}
	return s
}

// Listen is socket.listen(addr): a TCP socket bound to addr and listening.
func Listen(ctx context.Context, addr string) (*Socket, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s := mustNew(familyOf(ln.Addr()), SOCK_STREAM)
	s.ln, s.listening = ln, true
	return s, nil
}

// Dial is socket.connect(addr[, timeout]): a connected TCP socket.
// timeout <= 0 means none.
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Socket, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, dialError(ctx, err)
	}
	return fromConn(c), nil
}

// fromConn wraps an established connection.
func fromConn(c net.Conn) *Socket {
	typ := SOCK_STREAM
	if _, ok := c.(*net.UDPConn); ok {
		typ = SOCK_DGRAM
	}
	s := mustNew(familyOf(c.LocalAddr()), typ)
	s.conn = c
	return s
}

func familyOf(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		if a.IP.To4() == nil && a.IP != nil {
			return AF_INET6
		}
	case *net.UDPAddr:
		if a.IP.To4() == nil && a.IP != nil {
			return AF_INET6
		}
	case *net.UnixAddr:
		return AF_UNIX
	}
	return AF_INET
}

// ID is a small number naming the socket in traces and listings.
func (s *Socket) ID() int64 { return s.id }

// Family is AF_INET, AF_INET6 or AF_UNIX.
func (s *Socket) Family() int { return s.family }

// Type is SOCK_STREAM or SOCK_DGRAM.
func (s *Socket) Type() int { return s.typ }

// SetTap installs (or, with nil, removes) the socket's tap.
func (s *Socket) SetTap(t Tap) {
	if t == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&t)
}

func (s *Socket) observe(dir Direction, p []byte) {
	if t := s.tap.Load(); t != nil && len(p) > 0 {
		(*t)(s, Event{Dir: dir, Data: p})
	}
}

// Kind is "tcp", "tcp6", "udp", "udp6", "unix" or "unixgram": the Go
// network name, IPv4 being the unmarked default.
func (s *Socket) Kind() string { return strings.TrimSuffix(s.network(), "4") }

// network is the Go network name for the socket's family and type.
func (s *Socket) network() string {
	switch {
	case s.family == AF_UNIX && s.typ == SOCK_DGRAM:
		return "unixgram"
	case s.family == AF_UNIX:
		return "unix"
	case s.typ == SOCK_DGRAM && s.family == AF_INET6:
		return "udp6"
	case s.typ == SOCK_DGRAM:
		return "udp4"
	case s.family == AF_INET6:
		return "tcp6"
	}
	return "tcp4"
}

// SetTimeout sets the deadline applied to each later blocking call;
// d < 0 means none (block until done).
func (s *Socket) SetTimeout(d time.Duration) { s.timeout.Store(int64(d)) }

// Timeout is the per-call timeout, negative when there is none.
func (s *Socket) Timeout() time.Duration { return time.Duration(s.timeout.Load()) }

// deadline for a call starting now, or the zero time.
func (s *Socket) deadline() time.Time {
	d := s.Timeout()
	if d < 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// Closed reports whether Close was called.
func (s *Socket) Closed() bool { return s.closed.Load() }

// IsListening reports whether the socket accepts connections.
func (s *Socket) IsListening() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listening
}

// Close closes the socket; blocked calls on it return ErrClosed. Closing
// twice is harmless.
func (s *Socket) Close() error {
	if s.closed.Load() {
		return nil
	}
	s.flushBeforeClose()
	if s.closed.Swap(true) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.conn != nil {
		err = s.conn.Close()
	}
	if s.ln != nil {
		err = s.ln.Close()
	}
	if s.pc != nil {
		err = s.pc.Close()
	}
	return err
}

// LocalAddr is the socket's own address, or nil while fresh.
func (s *Socket) LocalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.conn != nil:
		return s.conn.LocalAddr()
	case s.ln != nil:
		return s.ln.Addr()
	case s.pc != nil:
		return s.pc.LocalAddr()
	}
	return nil
}

// RemoteAddr is the peer's address, or nil when not connected.
func (s *Socket) RemoteAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn.RemoteAddr()
	}
	return nil
}

// Bind gives a fresh socket its local address. A stream socket is bound at
// once (so "address already in use" shows here, as in Python) and starts
// accepting only after Listen; a datagram socket can receive from now on.
func (s *Socket) Bind(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil || s.ln != nil || s.pc != nil {
		return ErrInUse
	}
	if s.typ == SOCK_DGRAM {
		pc, err := net.ListenPacket(s.network(), addr)
		if err != nil {
			return err
		}
		s.pc = pc
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), s.network(), addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Listen makes a bound stream socket accept connections. An unbound one is
// first bound to the loopback address on a port the OS picks. The backlog
// is accepted for Python's sake; Go uses the system's.
func (s *Socket) Listen() error {
	if s.typ != SOCK_STREAM {
		return ErrNotStream
	}
	s.mu.Lock()
	bound := s.ln != nil
	inUse := s.conn != nil
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
func (s *Socket) Connect(ctx context.Context, addr string) error {
	s.mu.Lock()
	if s.conn != nil || s.listening {
		s.mu.Unlock()
		return ErrInUse
	}
	var local net.Addr
	if s.ln != nil {
		local = s.ln.Addr()
		s.ln.Close()
		s.ln = nil
	}
	if s.pc != nil {
		local = s.pc.LocalAddr()
		s.pc.Close()
		s.pc = nil
	}
	s.mu.Unlock()
	d := net.Dialer{LocalAddr: local}
	if t := s.Timeout(); t >= 0 {
		d.Timeout = t
	}
	c, err := d.DialContext(ctx, s.network(), addr)
	if err != nil {
		return dialError(ctx, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		c.Close()
		return ErrClosed
	}
	s.conn = c
	return nil
}

func dialError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrCancelled
	}
	return err
}

// Accept waits for the next connection on a listening socket.
func (s *Socket) Accept(ctx context.Context) (*Socket, error) {
	s.mu.Lock()
	ln, listening := s.ln, s.listening
	s.mu.Unlock()
	if !listening {
		return nil, ErrNotListening
	}
	dl, ok := ln.(interface{ SetDeadline(time.Time) error })
	if !ok {
		return nil, fmt.Errorf("listener %T has no deadline", ln)
	}
	if err := acquire(ctx, s.rsem); err != nil {
		return nil, err
	}
	defer release(s.rsem)
	stop := watch(ctx, s.deadline(), dl.SetDeadline)
	c, err := ln.Accept()
	stop()
	if err != nil {
		return nil, s.ioError(ctx, err)
	}
	return fromConn(c), nil
}

// ioError turns an error from a read, write or accept into the one a
// script sees: cancellation first, then our own close, then timeouts.
func (s *Socket) ioError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ErrCancelled
	case errors.Is(err, net.ErrClosed) || s.closed.Load():
		return ErrClosed
	case errors.Is(err, io.EOF):
		return ErrClosed
	case isTimeout(err):
		return ErrTimeout
	}
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked call.
var aLongTimeAgo = time.Unix(1, 0)

// watch sets deadline with set and arranges for a cancelled ctx to wake the
// blocked call by setting a deadline in the past. The returned func undoes
// the arrangement and returns only once it can no longer fire.
func watch(ctx context.Context, deadline time.Time, set func(time.Time) error) func() {
	set(deadline)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		set(aLongTimeAgo)
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
		}
	}
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ErrCancelled
	}
}

func release(sem chan struct{}) { <-sem }

// Shutdown closes the read side ("r"), the write side ("w") or both ("rw")
// of a connected stream socket: the peer sees EOF after "w".
func (s *Socket) Shutdown(how string) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	type halfCloser interface {
		CloseRead() error
		CloseWrite() error
	}
	hc, ok := c.(halfCloser)
	if !ok {
		return ErrNotStream
	}
	switch how {
	case "r":
		return hc.CloseRead()
	case "w":
		return hc.CloseWrite()
	case "rw":
		if err := hc.CloseWrite(); err != nil {
			return err
		}
		return hc.CloseRead()
	}
	return fmt.Errorf("shutdown: how must be \"r\", \"w\" or \"rw\", not %q", how)
}
