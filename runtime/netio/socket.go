// Package netio is the Go side of a netplay socket: Python's socket model
// (a fresh socket is bound, then listens or connects) over the operating
// system's network or an in-process one, with one read buffer shared by
// every receive method and per-call deadlines. It knows nothing of Lua.
//
// Every call takes a Waiter from the host. A call does what it can
// without waiting first (one system call, or none when the buffer holds
// what it needs) and waits through the Waiter only when it must: a real
// socket waits outside the interpreter, an in-process one parks until the
// peer acts. So code between two waits runs as one piece, and a socket
// whose data is ready costs no hand-over of the interpreter.
package netio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netplay/runtime/wiretrace"
)

// Address families and socket types, with Linux's numbers (as Python's).
const (
	AF_UNIX     = 1
	AF_INET     = 2
	AF_INET6    = 10
	SOCK_STREAM = 1
	SOCK_DGRAM  = 2
)

// Misuse errors: calls that cannot make sense in the socket's state,
// whatever the timing. The Lua layer raises these instead of returning
// them. A closed socket is not misuse: its calls return ErrClosed.
var (
	ErrNotConnected = errors.New("socket is not connected")
	ErrNotListening = errors.New("socket is not listening (call listen first)")
	ErrInUse        = errors.New("socket is already bound or connected")
	ErrNotStream    = errors.New("not a stream socket")
	ErrNotDatagram  = errors.New("not a datagram socket")
)

// Event is one thing a socket did (its Kind is one of wiretrace's event
// kinds): bytes read or written, a connection made, accepted or closed,
// the end of the stream, a timeout, a reset, a whole frame, a shaping
// action. The wire trace hooks in here (see Tap).
type Event struct {
	Kind   string          // wiretrace.Send, Recv, Connect, Accept, Listen, EOF, Shutdown, Timeout, Reset, Close, Error, Shape, Frame, TLS
	Out    bool            // this side sends (Send, outgoing Frame, Shape) rather than receives
	Data   []byte          // the bytes (Send, Recv, Shape) or the frame's payload (Frame)
	Codec  string          // Frame: the codec's name
	Used   int             // Frame: bytes the frame took in the stream, header included
	Action string          // Shape: split, delay, coalesce, close, reset, drop, duplicate, reorder
	How    string          // Shutdown: r, w or rw
	Op     string          // Timeout, Error, Reset: the call
	Err    error           // Error, Reset, TLS: what went wrong
	Via    *Socket         // Accept: the listener
	Ctx    context.Context // the calling task's context, when the event comes from a call
}

// Tap sees every event of the sockets it is installed on.
type Tap func(s *Socket, ev Event)

var lastID atomic.Int64

// Socket is one socket in any state: fresh, bound, listening, connected
// stream, or datagram.
type Socket struct {
	id     int64
	family int
	typ    int
	nw     Network

	mu        sync.Mutex // guards the state fields below
	st        stream     // connected stream
	ln        listener   // bound (by Bind) or listening stream socket
	pc        packetConn // datagram socket
	listening bool
	closed    atomic.Bool

	timeout atomic.Int64 // nanoseconds; negative: none

	rd        slot                   // one reader at a time
	wr        slot                   // one writer at a time
	rb        readBuffer             // guarded by rd
	eof       bool                   // guarded by rd
	drained   bool                   // guarded by rd: the last read emptied the kernel's queue
	stFast    atomic.Pointer[stream] // st, for stream() without the lock
	wbuf      []byte                 // output being built or held back (see SendFrame); pooled; guarded by wr
	werr      error                  // an error a deferred write met; guarded by wr
	pending   atomic.Int64
	backoff   time.Duration // accept's current pause after "too many open files"
	shape     atomic.Pointer[shaper]
	tlsServer *tlsServer // a TLS listener's; guarded by mu
	framer    atomic.Pointer[framerInfo]
	shapeCtx  ctxPointer // the shaper worker's context, for the trace
	eofSeen   bool       // guarded by rd: the EOF event was emitted
	idle      *idleWait  // guarded by rd: a suspended receive (see suspend.go)

	tap atomic.Pointer[Tap]

	held *heldParts // messages the held output refers to (see held.go); guarded by wr
}

// New returns a fresh socket of the given family (AF_INET, AF_INET6,
// AF_UNIX) and type (SOCK_STREAM, SOCK_DGRAM) on network nw.
func New(nw Network, family, typ int) (*Socket, error) {
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
	s := &Socket{id: lastID.Add(1), family: family, typ: typ, nw: nw}
	s.timeout.Store(-1)
	return s, nil
}

func mustNew(nw Network, family, typ int) *Socket {
	s, err := New(nw, family, typ)
	if err != nil {
		panic(err)
	}
	return s
}

// setStream makes st the socket's connection (the caller holds mu, or
// the socket is new).
func (s *Socket) setStream(st stream) {
	s.st = st
	s.stFast.Store(&st)
}

// withStream wraps an established stream in a new socket.
func withStream(nw Network, st stream) *Socket {
	s := mustNew(nw, familyOf(st.localAddr()), SOCK_STREAM)
	s.setStream(st)
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

// SetBudget makes the socket's read buffer count against b (the host's
// budget for buffered input); sockets it accepts share it.
func (s *Socket) SetBudget(b *Budget) {
	s.rd.acquireNow()
	s.rb.budget = b
	s.rd.release()
}

// Network is the network the socket lives on.
func (s *Socket) Network() Network { return s.nw }

// SetTap installs (or, with nil, removes) the socket's tap.
func (s *Socket) SetTap(t Tap) {
	if t == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&t)
}

// Emit reports ev to the socket's tap, if it has one.
func (s *Socket) Emit(ev Event) {
	if t := s.tap.Load(); t != nil {
		(*t)(s, ev)
	}
}

// observe reports bytes sent or received by a call made through w.
func (s *Socket) observe(w Waiter, kind string, p []byte) {
	if t := s.tap.Load(); t != nil && len(p) > 0 {
		(*t)(s, Event{Kind: kind, Out: kind == wiretrace.Send, Data: p, Ctx: waiterContext(w)})
	}
}

// waiterContext is w's context, or nil without a waiter.
func waiterContext(w Waiter) context.Context {
	if w == nil {
		return nil
	}
	return w.Context()
}

// Framer is how a trace sees frames inside the stream: the header, body
// and trailer sizes of the frame that buf starts with, as far as buf tells
// (framing.FrameSize); a size not known yet is -1, ok true once all are.
type Framer interface {
	FrameSize(buf []byte) (header, body, trailer int, ok bool)
}

// SetFramer tells the trace which codec frames the socket's stream (a
// framed socket was made over it).
func (s *Socket) SetFramer(name string, f Framer) {
	s.framer.Store(&framerInfo{name, f})
}

// Framer is the codec that frames the socket's stream, if any.
func (s *Socket) Framer() (string, Framer) {
	if fi := s.framer.Load(); fi != nil {
		return fi.name, fi.f
	}
	return "", nil
}

type framerInfo struct {
	name string
	f    Framer
}

// Tracing reports whether a tap is installed (to skip work for it).
func (s *Socket) Tracing() bool { return s.tap.Load() != nil }

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

// SetTimeout sets the deadline applied to each later call that waits;
// d < 0 means none (wait until done), 0 makes the socket non-blocking:
// calls do what they can at once and fail with ErrTimeout otherwise.
func (s *Socket) SetTimeout(d time.Duration) { s.timeout.Store(int64(d)) }

// Timeout is the per-call timeout, negative when there is none.
func (s *Socket) Timeout() time.Duration { return time.Duration(s.timeout.Load()) }

// deadline for a call starting now on w's clock, or the zero time.
func (s *Socket) deadline(w Waiter) time.Time {
	d := s.Timeout()
	if d < 0 {
		return time.Time{}
	}
	return w.Now().Add(d)
}

// nonBlocking reports whether calls must not wait at all (timeout 0).
func (s *Socket) nonBlocking() bool { return s.Timeout() == 0 }

// Closed reports whether Close was called.
func (s *Socket) Closed() bool { return s.closed.Load() }

// IsListening reports whether the socket accepts connections.
func (s *Socket) IsListening() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listening
}

// Close closes the socket: later calls, and calls waiting on it now,
// return ErrClosed. Deferred output is written first if that can be done
// without waiting. Closing twice is harmless.
func (s *Socket) Close() error { return s.close(nil, false) }

// CloseFrom is Close by the task whose context ctx is (the trace names it).
func (s *Socket) CloseFrom(ctx context.Context) error { return s.close(ctx, false) }

// Reset closes a connected stream with a reset: the peer's calls fail
// with "connection reset".
func (s *Socket) Reset() error { return s.close(nil, true) }

func (s *Socket) close(ctx context.Context, reset bool) error {
	if s.closed.Swap(true) {
		return nil
	}
	defer s.freeReadBuffer()
	if reset {
		s.Emit(Event{Kind: wiretrace.Reset, Out: true, Op: "close", Ctx: ctx})
	} else {
		s.Emit(Event{Kind: wiretrace.Close, Ctx: ctx})
	}
	s.flushBeforeClose()
	s.mu.Lock()
	st, ln, pc := s.st, s.ln, s.pc
	s.mu.Unlock()
	if sh := s.shape.Load(); sh != nil && st != nil && sh.closeWhenDrained(reset) {
		// The shaper's worker delivers what is queued, then closes; our own
		// reads end now.
		return st.closeRead()
	}
	var err error
	switch {
	case st != nil && reset:
		err = st.reset()
	case st != nil:
		err = st.close()
	}
	if ln != nil {
		err = ln.close()
	}
	if pc != nil {
		err = pc.close()
	}
	return err
}

// releaseRead gives up the read slot. On a closed socket the read buffer
// goes back to its pool and the budget: either close finds the slot free
// or the last reader, releasing it, finds the socket closed.
func (s *Socket) releaseRead() {
	s.rd.release()
	if s.closed.Load() {
		s.freeReadBuffer()
	}
}

// freeReadBuffer releases the read buffer of a closed socket if no reader
// holds the slot (the reader then does it on its way out). Bytes a peer
// sent that were never read no longer count against the budget.
func (s *Socket) freeReadBuffer() {
	if s.rd.tryAcquire() {
		s.rb.release()
		s.rd.release()
	}
}

// LocalAddr is the socket's own address, or nil while fresh.
func (s *Socket) LocalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.st != nil:
		return s.st.localAddr()
	case s.ln != nil:
		return s.ln.addr()
	case s.pc != nil:
		return s.pc.localAddr()
	}
	return nil
}

// RemoteAddr is the peer's address, or nil when not connected.
func (s *Socket) RemoteAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.st != nil:
		return s.st.remoteAddr()
	case s.pc != nil:
		return s.pc.remoteAddr()
	}
	return nil
}

// stream returns the connection of a connected stream socket.
func (s *Socket) stream() (stream, error) {
	if s.typ != SOCK_STREAM {
		return nil, ErrNotStream
	}
	if p := s.stFast.Load(); p != nil && !s.closed.Load() {
		return *p, nil // every call of a connected socket: no lock
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed.Load():
		return nil, ErrClosed
	case s.st == nil:
		return nil, ErrNotConnected
	}
	return s.st, nil
}

// Shutdown closes the read side ("r"), the write side ("w") or both ("rw")
// of a connected stream socket: the peer sees EOF after "w".
func (s *Socket) Shutdown(how string) error {
	st, err := s.stream()
	if err != nil {
		return err
	}
	if how == "r" || how == "w" || how == "rw" {
		s.Emit(Event{Kind: wiretrace.Shutdown, How: how})
	}
	switch how {
	case "r":
		return st.closeRead()
	case "w":
		return st.closeWrite()
	case "rw":
		if err := st.closeWrite(); err != nil {
			return err
		}
		return st.closeRead()
	}
	return fmt.Errorf("shutdown: how must be \"r\", \"w\" or \"rw\", not %q", how)
}

// ioError turns an error from a read, write or accept into the one a
// script sees: cancellation first, then our own close, then timeouts.
func (s *Socket) ioError(w Waiter, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrCancelled) || w.Context().Err() != nil:
		return ErrCancelled
	case errors.Is(err, net.ErrClosed) || s.closed.Load():
		return ErrClosed
	case isTimeout(err):
		return ErrTimeout
	}
	return err
}

// failed is ioError for call op, reporting to the trace what a script
// would want to see: a timeout, a reset, another failure (the end of the
// stream, a cancellation and our own close are reported elsewhere or not
// at all).
func (s *Socket) failed(w Waiter, op string, err error) error {
	err = s.ioError(w, err)
	switch {
	case err == nil, errors.Is(err, ErrCancelled), errors.Is(err, ErrClosed):
	case errors.Is(err, ErrTimeout):
		s.Emit(Event{Kind: wiretrace.Timeout, Op: op, Ctx: waiterContext(w)})
	case Message(err) == "connection reset":
		s.Emit(Event{Kind: wiretrace.Reset, Op: op, Out: op == "send", Err: err, Ctx: waiterContext(w)})
	default:
		s.Emit(Event{Kind: wiretrace.Error, Op: op, Err: err, Ctx: waiterContext(w)})
	}
	return err
}

func isTimeout(err error) bool {
	if errors.Is(err, ErrTimeout) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// ctxPointer holds a context that may be read by another goroutine.
type ctxPointer struct {
	p atomic.Pointer[context.Context]
}

func (c *ctxPointer) Store(ctx *context.Context) { c.p.Store(ctx) }

// Load is the context, or nil.
func (c *ctxPointer) Load() context.Context {
	if p := c.p.Load(); p != nil {
		return *p
	}
	return nil
}
