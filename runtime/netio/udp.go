package netio

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"netplay/runtime/wiretrace"
)

// packetConn is a datagram socket's connection: the operating system's,
// or an in-process one.
type packetConn interface {
	// tryReadFrom receives one datagram into p without waiting:
	// errWouldBlock when none is queued.
	tryReadFrom(p []byte) (int, net.Addr, error)
	// waitReadFrom waits for a datagram; a real socket receives it in the
	// same call (n > 0 or an empty datagram with from set), an in-process
	// one only wakes (from nil): tryReadFrom then takes it.
	waitReadFrom(w Waiter, deadline time.Time, p []byte) (int, net.Addr, error)
	// writeTo sends one datagram (to the fixed peer when to is nil).
	writeTo(w Waiter, p []byte, to string, deadline time.Time) (int, error)
	localAddr() net.Addr
	remoteAddr() net.Addr
	close() error
}

// realPacket is a datagram socket of the operating system's.
type realPacket struct {
	pc net.PacketConn
	rc syscall.RawConn
	fd int
}

func newRealPacket(pc net.PacketConn) (*realPacket, error) {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, errors.New("packet connection has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &realPacket{pc: pc, rc: rc, fd: -1}
	rc.Control(func(fd uintptr) { r.fd = int(fd) })
	return r, nil
}

func (r *realPacket) localAddr() net.Addr { return r.pc.LocalAddr() }
func (r *realPacket) remoteAddr() net.Addr {
	if c, ok := r.pc.(net.Conn); ok {
		return c.RemoteAddr()
	}
	return nil
}
func (r *realPacket) close() error { return r.pc.Close() }

// recvFrom makes one recvfrom system call (MSG_TRUNC-free: a longer
// datagram is cut to p, as Python's recvfrom(n) does).
func recvFrom(fd uintptr, p []byte) (int, net.Addr, error) {
	for {
		n, sa, err := syscall.Recvfrom(int(fd), p, 0)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, nil, errWouldBlock
		case err != nil:
			return 0, nil, os.NewSyscallError("recvfrom", err)
		}
		return n, sockaddrToAddr(sa), nil
	}
}

func sockaddrToAddr(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.UDPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	case *syscall.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unixgram"}
	}
	return nil
}

func (r *realPacket) tryReadFrom(p []byte) (n int, from net.Addr, err error) {
	cerr := r.rc.Read(func(fd uintptr) bool {
		n, from, err = recvFrom(fd, p)
		return true
	})
	if cerr != nil {
		return 0, nil, cerr
	}
	return n, from, err
}

func (r *realPacket) waitReadFrom(w Waiter, deadline time.Time, p []byte) (n int, from net.Addr, err error) {
	werr := w.Outside("recvfrom", func() bool { return pollIn(r.fd) }, func(ctx context.Context) error {
		stop := watch(ctx, deadline, r.pc.SetReadDeadline)
		defer stop()
		cerr := r.rc.Read(func(fd uintptr) bool {
			n, from, err = recvFrom(fd, p)
			return err != errWouldBlock
		})
		if cerr != nil {
			err = cerr
		}
		return nil
	})
	if werr != nil {
		return 0, nil, werr
	}
	return n, from, err
}

func (r *realPacket) writeTo(w Waiter, p []byte, to string, deadline time.Time) (n int, err error) {
	var dst net.Addr
	if to != "" {
		network := r.pc.LocalAddr().Network()
		if network == "unixgram" {
			dst, err = net.ResolveUnixAddr(network, to)
		} else {
			dst, err = net.ResolveUDPAddr(network, to)
		}
		if err != nil {
			return 0, err
		}
	}
	werr := w.Outside("sendto", nil, func(ctx context.Context) error {
		stop := watch(ctx, deadline, r.pc.SetWriteDeadline)
		defer stop()
		if c, ok := r.pc.(net.Conn); ok && dst == nil {
			n, err = c.Write(p)
		} else {
			n, err = r.pc.WriteTo(p, dst)
		}
		return nil
	})
	if werr != nil {
		return n, werr
	}
	return n, err
}

// packet returns the socket's datagram connection, binding a fresh
// datagram socket to an OS-chosen port first (as Python does on the first
// sendto). A closed socket gets ErrClosed and binds nothing.
func (s *Socket) packet() (packetConn, error) {
	if s.typ != SOCK_DGRAM {
		return nil, ErrNotDatagram
	}
	s.mu.Lock()
	pc, closed := s.pc, s.closed.Load()
	s.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case pc != nil:
		return pc, nil
	}
	if err := s.Bind(s.anyPort()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pc, nil
}

// anyPort is the address a datagram socket binds to on its first sendto.
func (s *Socket) anyPort() string {
	switch s.family {
	case AF_INET6:
		return "[::]:0"
	case AF_UNIX:
		return ""
	}
	return ":0"
}

// SendTo sends one datagram to addr ("" on a connected datagram socket:
// its peer).
func (s *Socket) SendTo(w Waiter, p []byte, addr string) (int, error) {
	pc, err := s.packet()
	if err != nil {
		return 0, err
	}
	if err := s.wr.acquire(w, "sendto"); err != nil {
		return 0, err
	}
	defer s.wr.release()
	s.observe(w, wiretrace.Send, p)
	send := func(b []byte) (int, error) { return pc.writeTo(w, b, addr, s.deadline(w)) }
	var n int
	if sh := s.shape.Load(); sh != nil {
		n, err = sh.shapeDatagram(p, send)
	} else {
		n, err = send(p)
	}
	return n, s.failed(w, "sendto", err)
}

// RecvFrom receives one datagram, cut to n bytes, and its sender's address.
func (s *Socket) RecvFrom(w Waiter, n int) ([]byte, net.Addr, error) {
	pc, err := s.packet()
	if err != nil {
		return nil, nil, err
	}
	if err := s.rd.acquire(w, "recvfrom"); err != nil {
		return nil, nil, err
	}
	defer s.releaseRead()
	p := make([]byte, min(n, maxDirectRead))
	k, from, err := pc.tryReadFrom(p)
	for err == errWouldBlock {
		if s.nonBlocking() {
			return nil, nil, ErrTimeout
		}
		k, from, err = pc.waitReadFrom(w, s.deadline(w), p)
		if err == nil && from == nil {
			k, from, err = pc.tryReadFrom(p) // in-process: one is queued now
		}
	}
	if err != nil {
		return nil, nil, s.failed(w, "recvfrom", err)
	}
	s.observe(w, wiretrace.Recv, p[:k])
	return p[:k], from, nil
}
