package netio

// Connections whose two ends are both in this process (a server spawned at
// the REPL and the connection typed at the prompt, a test and its peer).
//
// On loopback the kernel often hands bytes to the peer's socket a moment
// after the write that sent them returned (small writes are corked until
// the previous ones leave the device queue; under load the delivery runs
// in a kernel thread). For that moment a task waiting to read them looks
// idle, and the REPL, which reads its next line once every task waits,
// would run ahead of what the server prints. The registry below lets it
// see such bytes, and connections, in flight.

import (
	"net"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

var locals struct {
	mu        sync.Mutex
	streams   map[string]*realStream   // by local and remote address
	listeners map[string]*realListener // by local address
}

func addrKey(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.Network() + " " + a.String()
}

// pairKey names a connection by its two ends.
func pairKey(local, remote net.Addr) string { return addrKey(local) + " > " + addrKey(remote) }

// register records a stream as this process's, by its two addresses.
func (r *realStream) register() {
	k := pairKey(r.c.LocalAddr(), r.c.RemoteAddr())
	locals.mu.Lock()
	defer locals.mu.Unlock()
	if locals.streams == nil {
		locals.streams = map[string]*realStream{}
	}
	locals.streams[k] = r
	r.key = k
}

// unregister forgets it (on close).
func (r *realStream) unregister() {
	locals.mu.Lock()
	defer locals.mu.Unlock()
	if locals.streams[r.key] == r {
		delete(locals.streams, r.key)
	}
}

// localPeer is the stream at the other end, when it is in this process.
func (r *realStream) localPeer() *realStream {
	k := pairKey(r.c.RemoteAddr(), r.c.LocalAddr())
	locals.mu.Lock()
	defer locals.mu.Unlock()
	return locals.streams[k]
}

func (l *realListener) register() {
	k := addrKey(l.ln.Addr())
	locals.mu.Lock()
	defer locals.mu.Unlock()
	if locals.listeners == nil {
		locals.listeners = map[string]*realListener{}
	}
	locals.listeners[k] = l
	l.key = k
}

func (l *realListener) unregister() {
	locals.mu.Lock()
	defer locals.mu.Unlock()
	if locals.listeners[l.key] == l {
		delete(locals.listeners, l.key)
	}
}

// localListener is the listener a connection to addr reaches, when it is
// in this process (on that address or on the wildcard of its port).
func localListener(network string, addr net.Addr) *realListener {
	locals.mu.Lock()
	defer locals.mu.Unlock()
	if l := locals.listeners[addrKey(addr)]; l != nil {
		return l
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		for _, wild := range []net.IP{net.IPv4zero, net.IPv6unspecified} {
			if l := locals.listeners[addrKey(&net.TCPAddr{IP: wild, Port: ta.Port})]; l != nil {
				return l
			}
		}
	}
	return nil
}

// delivered reports whether everything this stream wrote is in its local
// peer's socket or read from it: the peer's bytes read plus those queued
// reach what we sent.
func (r *realStream) delivered(peer *realStream) bool {
	queued, err := unix.IoctlGetInt(peer.fd, unix.SIOCINQ)
	return err != nil || peer.consumed.Load()+int64(queued) >= r.sent.Load()
}

// LocalInFlight reports whether bytes or connections are on their way
// between two sockets of this process: written but not yet in the peer's
// socket, or connected but neither queued at the listener nor accepted.
// The REPL reads its next line only once nothing is (and every task
// waits), so what a server prints in answer comes before the prompt.
func LocalInFlight() bool {
	locals.mu.Lock()
	streams := make([]*realStream, 0, len(locals.streams))
	for _, r := range locals.streams {
		streams = append(streams, r)
	}
	listeners := make([]*realListener, 0, len(locals.listeners))
	for _, l := range locals.listeners {
		listeners = append(listeners, l)
	}
	locals.mu.Unlock()
	for _, r := range streams {
		if peer := r.localPeer(); peer != nil && !r.delivered(peer) {
			return true
		}
	}
	for _, l := range listeners {
		if l.dialed.Load() > l.accepted.Load() && !pollIn(l.fd) && !l.ending.Load() {
			return true
		}
	}
	return false
}

// localTarget is the listener in this process that addr (an IP literal or
// localhost, with a port) names, or nil.
func localTarget(network, addr string) *realListener {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !strings.HasPrefix(network, "tcp") {
		return nil
	}
	if host == "localhost" || host == "" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil
	}
	ta, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return nil
	}
	return localListener(network, ta)
}
