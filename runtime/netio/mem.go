package netio

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// MemNetwork is an in-process network with the same calls, errors and
// buffer behaviour as loopback TCP, UDP and Unix sockets: listeners on
// ports, connections with a bounded buffer each way (a writer waits while
// the reader's buffer is full), half-close, reset, datagrams that keep
// their boundaries. Under virtual time every socket of a host lives here,
// so the host knows when nothing is in flight: every wait on it is a park
// that the peer's action ends. Ports are handed out in order from 40000,
// so a run's addresses are the same every time.
type MemNetwork struct {
	mu        sync.Mutex
	listeners map[string]*memListener // by memKey
	packets   map[string]*memPacket
	nextPort  int
	// BufferSize is each direction's buffer (default 256 KiB).
	BufferSize int
}

// NewMemNetwork returns an empty in-process network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{listeners: map[string]*memListener{}, packets: map[string]*memPacket{}, nextPort: 40000, BufferSize: 256 << 10}
}

// ErrOutsideVirtualNetwork names an address a virtual-time host cannot
// reach: its sockets stay inside the process.
type ErrOutsideVirtualNetwork struct{ Addr string }

func (e *ErrOutsideVirtualNetwork) Error() string {
	return fmt.Sprintf("%s is outside the virtual network (under virtual time every socket stays in the process: run without --virtual-time or testing.virtual_time() to reach it)", e.Addr)
}

// memAddr resolves addr for network ("tcp", "udp", "unix"...) to an
// address on the in-process network: loopback or wildcard hosts, and Unix
// paths. The key names the port (or path) whatever the host spelling.
func (m *MemNetwork) memAddr(network, addr string, listening bool) (net.Addr, string, error) {
	kind := network
	switch network {
	case "tcp", "tcp4", "tcp6":
		kind = "tcp"
	case "udp", "udp4", "udp6":
		kind = "udp"
	case "unix", "unixgram":
		if addr == "" {
			return nil, "", syscall.EINVAL
		}
		return &net.UnixAddr{Name: addr, Net: network}, network + " " + addr, nil
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", &net.AddrError{Err: "missing port in address", Addr: addr}
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || host == "localhost":
		ip = net.IPv4(127, 0, 0, 1)
	case ip == nil:
		return nil, "", &ErrOutsideVirtualNetwork{Addr: addr}
	case ip.IsUnspecified():
		ip = net.IPv4(127, 0, 0, 1)
		if network == "tcp6" || network == "udp6" || host == "::" {
			ip = net.IPv6loopback
		}
	case !ip.IsLoopback():
		if listening {
			return nil, "", syscall.EADDRNOTAVAIL
		}
		return nil, "", &ErrOutsideVirtualNetwork{Addr: addr}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, "", &net.AddrError{Err: "invalid port", Addr: addr}
	}
	if port == 0 && listening {
		port = m.freePortLocked(kind)
	}
	if kind == "udp" {
		return &net.UDPAddr{IP: ip, Port: port}, kind + " " + strconv.Itoa(port), nil
	}
	return &net.TCPAddr{IP: ip, Port: port}, kind + " " + strconv.Itoa(port), nil
}

// freePortLocked hands out the next unused port.
func (m *MemNetwork) freePortLocked(kind string) int {
	for {
		p := m.nextPort
		m.nextPort++
		if m.nextPort > 65535 {
			m.nextPort = 40000
		}
		key := kind + " " + strconv.Itoa(p)
		if m.listeners[key] == nil && m.packets[key] == nil {
			return p
		}
	}
}

func (m *MemNetwork) listen(network, addr string) (listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, key, err := m.memAddr(network, addr, true)
	if err != nil {
		return nil, opError("listen", network, err)
	}
	if m.listeners[key] != nil {
		return nil, opError("listen", network, syscall.EADDRINUSE)
	}
	ln := &memListener{m: m, key: key, a: a}
	m.listeners[key] = ln
	return ln, nil
}

// opError wraps err as the net package does, so Message maps it.
func opError(op, network string, err error) error {
	if _, ok := err.(*ErrOutsideVirtualNetwork); ok {
		return err
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &net.OpError{Op: op, Net: network, Err: err}
}

func (m *MemNetwork) dial(w Waiter, network, addr string, local net.Addr, deadline time.Time) (stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	remote, key, err := m.memAddr(network, addr, false)
	if err != nil {
		return nil, opError("dial", network, err)
	}
	ln := m.listeners[key]
	if ln == nil || ln.closed {
		return nil, opError("dial", network, syscall.ECONNREFUSED)
	}
	if local == nil {
		switch a := remote.(type) {
		case *net.TCPAddr:
			local = &net.TCPAddr{IP: a.IP, Port: m.freePortLocked("tcp")}
		case *net.UnixAddr:
			local = &net.UnixAddr{Name: "", Net: a.Net}
		}
	}
	client, server := newMemPair(local, ln.a, m.BufferSize)
	ln.offer(server)
	return client, nil
}

// newMemPair makes the two ends of a connection.
func newMemPair(clientAddr, serverAddr net.Addr, size int) (client, server *memStream) {
	up := &memPipe{max: size}   // client to server
	down := &memPipe{max: size} // server to client
	client = &memStream{in: down, out: up, local: clientAddr, remote: serverAddr}
	server = &memStream{in: up, out: down, local: serverAddr, remote: clientAddr}
	client.peer, server.peer = server, client
	return client, server
}

// memListener is a listening socket of the in-process network.
type memListener struct {
	m       *MemNetwork
	key     string
	a       net.Addr
	mu      sync.Mutex
	backlog []*memStream
	waiters waitList
	closed  bool
}

func (l *memListener) addr() net.Addr { return l.a }

// offer queues a new connection's server end and wakes an accepter.
func (l *memListener) offer(s *memStream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.backlog = append(l.backlog, s)
	l.waiters.wakeAll()
}

func (l *memListener) accept(w Waiter, deadline time.Time, nonBlocking bool) (stream, error) {
	for {
		l.mu.Lock()
		switch {
		case l.closed:
			l.mu.Unlock()
			return nil, net.ErrClosed
		case len(l.backlog) > 0:
			s := l.backlog[0]
			l.backlog = l.backlog[1:]
			l.mu.Unlock()
			return s, nil
		}
		l.mu.Unlock()
		if nonBlocking {
			return nil, errWouldBlock
		}
		err := w.Park("accept", deadline, func(wake func() bool) func() {
			return l.arm(wake, func() bool { return l.closed || len(l.backlog) > 0 })
		})
		if err != nil {
			return nil, err
		}
	}
}

// arm wakes at once when ready holds, else registers wake.
func (l *memListener) arm(wake func() bool, ready func() bool) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.armLocked(wake, ready(), &l.mu)
}

func (l *memListener) close() error {
	l.m.mu.Lock()
	if l.m.listeners[l.key] == l {
		delete(l.m.listeners, l.key)
	}
	l.m.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for _, s := range l.backlog {
		s.reset()
	}
	l.backlog = nil
	l.waiters.wakeAll()
	return nil
}

// waitList holds the wake functions of parked waiters.
type waitList struct{ entries []*waitEntry }

type waitEntry struct{ wake func() bool }

// armLocked registers wake, or calls it at once when ready; it returns
// how to unregister it. The caller holds the lock guarding l, and the
// returned func takes lock to unregister.
func (l *waitList) armLocked(wake func() bool, ready bool, lock sync.Locker) func() {
	if ready {
		wake()
		return func() {}
	}
	e := &waitEntry{wake}
	l.entries = append(l.entries, e)
	return func() {
		lock.Lock()
		defer lock.Unlock()
		for i, x := range l.entries {
			if x == e {
				l.entries = append(l.entries[:i], l.entries[i+1:]...)
				return
			}
		}
	}
}

// wakeAll wakes every registered waiter and empties the list.
func (l *waitList) wakeAll() {
	entries := l.entries
	l.entries = nil
	for _, e := range entries {
		e.wake()
	}
}

// memPipe is one direction of an in-process connection: a bounded
// buffer with the state of both ends.
type memPipe struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	eof     bool // the writer shut its side: EOF once drained
	gone    bool // the reader is gone: writes fail
	reset   bool // reset: reads and writes fail with "connection reset"
	readers waitList
	writers waitList
	drained waitList // shapers waiting until the reader has taken everything
}

// memStream is one end of an in-process connection.
type memStream struct {
	in, out       *memPipe
	local, remote net.Addr
	peer          *memStream
	mu            sync.Mutex
	closed        bool
}

func (s *memStream) localAddr() net.Addr  { return s.local }
func (s *memStream) remoteAddr() net.Addr { return s.remote }
func (s *memStream) netConn() net.Conn    { return nil }

func (s *memStream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *memStream) tryRead(p []byte) (int, error) {
	if s.isClosed() {
		return 0, net.ErrClosed
	}
	in := s.in
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case len(in.buf) > 0:
		n := copy(p, in.buf)
		in.buf = in.buf[n:]
		if len(in.buf) == 0 {
			in.buf = nil
			in.drained.wakeAll()
		}
		in.writers.wakeAll()
		return n, nil
	case in.reset:
		return 0, os.NewSyscallError("read", syscall.ECONNRESET)
	case in.eof:
		return 0, io.EOF
	}
	return 0, errWouldBlock
}

func (s *memStream) waitRead(w Waiter, what string, deadline time.Time, p []byte) (int, error) {
	in := s.in
	err := w.Park(what, deadline, func(wake func() bool) func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.readers.armLocked(wake, len(in.buf) > 0 || in.eof || in.reset || s.isClosed(), &in.mu)
	})
	return 0, err
}

// waitReadable parks until the pipe has input, its end, or a reset.
func (s *memStream) waitReadable(w Waiter, what string, deadline time.Time) error {
	_, err := s.waitRead(w, what, deadline, nil)
	return err
}

func (s *memStream) tryWrite(p []byte) (int, error) {
	if s.isClosed() {
		return 0, net.ErrClosed
	}
	out := s.out
	out.mu.Lock()
	defer out.mu.Unlock()
	switch {
	case out.reset:
		return 0, os.NewSyscallError("write", syscall.ECONNRESET)
	case out.gone || out.eof:
		return 0, os.NewSyscallError("write", syscall.EPIPE)
	}
	room := out.max - len(out.buf)
	n := min(room, len(p))
	out.buf = append(out.buf, p[:n]...)
	if n > 0 {
		out.readers.wakeAll()
	}
	if n < len(p) {
		return n, errWouldBlock
	}
	return n, nil
}

func (s *memStream) waitWrite(w Waiter, deadline time.Time, p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := s.tryWrite(p[written:])
		written += n
		if err == nil {
			continue
		}
		if err != errWouldBlock {
			return written, err
		}
		out := s.out
		err = w.Park("send", deadline, func(wake func() bool) func() {
			out.mu.Lock()
			defer out.mu.Unlock()
			return out.writers.armLocked(wake, len(out.buf) < out.max || out.gone || out.reset || s.isClosed(), &out.mu)
		})
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func (s *memStream) closeWrite() error {
	out := s.out
	out.mu.Lock()
	defer out.mu.Unlock()
	out.eof = true
	out.readers.wakeAll()
	return nil
}

func (s *memStream) closeRead() error {
	in := s.in
	in.mu.Lock()
	defer in.mu.Unlock()
	in.gone = true
	in.buf = nil
	in.writers.wakeAll()
	in.drained.wakeAll()
	return nil
}

func (s *memStream) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.closeWrite()
	s.closeRead()
	// Our own waits end too: they find the socket closed.
	s.in.mu.Lock()
	s.in.readers.wakeAll()
	s.in.mu.Unlock()
	s.out.mu.Lock()
	s.out.writers.wakeAll()
	s.out.mu.Unlock()
	return nil
}

// reset closes with a reset: the peer's reads and writes fail with
// "connection reset".
func (s *memStream) reset() error {
	for _, p := range []*memPipe{s.in, s.out} {
		p.mu.Lock()
		p.reset = true
		p.buf = nil
		p.readers.wakeAll()
		p.writers.wakeAll()
		p.drained.wakeAll()
		p.mu.Unlock()
	}
	return s.close()
}

func (m *MemNetwork) listenPacket(network, addr string) (packetConn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr == "" && network != "unixgram" {
		addr = ":0"
	}
	a, key, err := m.memAddr(network, addr, true)
	if err != nil {
		return nil, opError("listen", network, err)
	}
	if m.packets[key] != nil {
		return nil, opError("listen", network, syscall.EADDRINUSE)
	}
	pc := &memPacket{m: m, key: key, a: a, network: network}
	m.packets[key] = pc
	return pc, nil
}

func (m *MemNetwork) dialPacket(network, addr string, local net.Addr) (packetConn, error) {
	laddr := ":0"
	if local != nil {
		laddr = local.String()
	}
	pc, err := m.listenPacket(network, laddr)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	peer, _, err := m.memAddr(network, addr, false)
	m.mu.Unlock()
	if err != nil {
		pc.close()
		return nil, opError("dial", network, err)
	}
	pc.(*memPacket).peer = peer
	return pc, nil
}

// memDatagramQueue bounds the datagrams queued at one socket: past it,
// new ones are dropped, as a full socket buffer drops them.
const memDatagramQueue = 256

type datagram struct {
	data []byte
	from net.Addr
}

// memPacket is a datagram socket of the in-process network.
type memPacket struct {
	m       *MemNetwork
	key     string
	a       net.Addr
	network string
	peer    net.Addr
	mu      sync.Mutex
	queue   []datagram
	readers waitList
	closed  bool
}

func (p *memPacket) localAddr() net.Addr  { return p.a }
func (p *memPacket) remoteAddr() net.Addr { return p.peer }

func (p *memPacket) tryReadFrom(b []byte) (int, net.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return 0, nil, net.ErrClosed
	case len(p.queue) == 0:
		return 0, nil, errWouldBlock
	}
	d := p.queue[0]
	p.queue = p.queue[1:]
	return copy(b, d.data), d.from, nil
}

func (p *memPacket) waitReadFrom(w Waiter, deadline time.Time, b []byte) (int, net.Addr, error) {
	err := w.Park("recvfrom", deadline, func(wake func() bool) func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.readers.armLocked(wake, p.closed || len(p.queue) > 0, &p.mu)
	})
	return 0, nil, err
}

func (p *memPacket) writeTo(w Waiter, b []byte, to string, deadline time.Time) (int, error) {
	dst := p.peer
	p.m.mu.Lock()
	if to != "" {
		var err error
		if dst, _, err = p.m.memAddr(p.network, to, false); err != nil {
			p.m.mu.Unlock()
			return 0, opError("sendto", p.network, err)
		}
	}
	if dst == nil {
		p.m.mu.Unlock()
		return 0, opError("sendto", p.network, syscall.EDESTADDRREQ)
	}
	_, key, _ := p.m.memAddr(p.network, dst.String(), false)
	target := p.m.packets[key]
	p.m.mu.Unlock()
	if target != nil {
		target.deliver(datagram{data: append([]byte(nil), b...), from: p.a})
	}
	return len(b), nil // no one there: lost, as UDP loses it
}

// deliver queues a datagram (dropping it when the queue is full).
func (p *memPacket) deliver(d datagram) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.queue) >= memDatagramQueue {
		return
	}
	p.queue = append(p.queue, d)
	p.readers.wakeAll()
}

func (p *memPacket) close() error {
	p.m.mu.Lock()
	if p.m.packets[p.key] == p {
		delete(p.m.packets, p.key)
	}
	p.m.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.readers.wakeAll()
	return nil
}
