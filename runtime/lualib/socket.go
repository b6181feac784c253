package lualib

// The socket module: Python's socket names, so the tutorial reads line for
// line.
//
//	socket.socket([family[, type]]) socket.tcp() socket.udp()
//	socket.listen(addr[, backlog])  socket.connect(addr[, timeout])
//	socket.gethostname()            socket.address(spec[, default])
//	socket.AF_INET AF_INET6 AF_UNIX SOCK_STREAM SOCK_DGRAM
//
//	s:bind(addr) s:listen([backlog]) s:accept() s:connect(addr)
//	s:send(data) s:sendall(data) s:recv(n) s:recv_exactly(n)
//	s:recv_until(delim[, max]) s:sendto(data, addr) s:recvfrom(n)
//	s:settimeout(seconds|nil) s:gettimeout() s:setblocking(flag)
//	s:shutdown(how) s:close() s:getsockname() s:getpeername()
//	s:peek(n) s:unread(data)          (peek.go)

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
	"netplay/runtime/wiretrace"
)

// SocketTypeName names the socket userdata's metatable.
const SocketTypeName = "netplay.socket"

var socketFuncs = map[string]lua.LGFunction{
	"socket":      socketNew,
	"tcp":         socketTCP,
	"udp":         socketUDP,
	"listen":      socketListen,
	"connect":     socketConnect,
	"gethostname": socketGethostname,
	"address":     socketAddress,
}

var socketMethods = map[string]lua.LGFunction{
	"bind":            sockBind,
	"listen":          sockListen,
	"accept":          sockAccept,
	"connect":         sockConnect,
	"send":            sockSend,
	"sendall":         sockSendall,
	"recv":            sockRecv,
	"recv_exactly":    sockRecvExactly,
	"recv_until":      sockRecvUntil,
	"peek":            sockPeek,
	"unread":          sockUnread,
	"sendto":          sockSendto,
	"recvfrom":        sockRecvfrom,
	"settimeout":      sockSettimeout,
	"gettimeout":      sockGettimeout,
	"setblocking":     sockSetblocking,
	"shutdown":        sockShutdown,
	"close":           sockClose,
	"getsockname":     sockGetsockname,
	"getpeername":     sockGetpeername,
	"shape":           sockShape,
	"shaped":          sockShaped,
	"starttls":        sockStarttls,
	"tlsinfo":         sockTlsinfo,
	"certificate_pem": sockCertificatePem,
}

// OpenSocket is the loader of the socket module.
func OpenSocket(L *lua.LState) int {
	newType(L, SocketTypeName, socketMethods, map[string]lua.LGFunction{"__tostring": sockString})
	mod := L.SetFuncs(L.NewTable(), socketFuncs)
	for name, v := range map[string]int{
		"AF_INET": netio.AF_INET, "AF_INET6": netio.AF_INET6, "AF_UNIX": netio.AF_UNIX,
		"SOCK_STREAM": netio.SOCK_STREAM, "SOCK_DGRAM": netio.SOCK_DGRAM,
	} {
		L.SetField(mod, name, lua.LNumber(v))
	}
	L.Push(mod)
	return 1
}

// sock is what a socket's userdata holds: the socket, and the handle by
// which a task owns it.
type sock struct {
	*netio.Socket
	res *host.Resource
}

// Resource is the socket's ownership handle (spawn(fn, sock) hands it over).
func (s *sock) Resource() *host.Resource { return s.res }

// pushSocket wraps s as a Lua socket owned by the running task.
func pushSocket(L *lua.LState, s *netio.Socket) *lua.LUserData {
	return pushOwnedSocket(L, s, host.Of(L).NewResource(s))
}

// pushOwnedSocket wraps s, already registered as res, as a Lua socket; it
// is closed when no Lua value refers to it any more.
func pushOwnedSocket(L *lua.LState, s *netio.Socket, res *host.Resource) *lua.LUserData {
	h := host.Of(L)
	s.SetBudget(h.Budget())
	if t := h.Tap(); t != nil {
		s.SetTap(t)
	}
	ud := newUserData(L, &sock{Socket: s, res: res}, SocketTypeName)
	res.CloseWhenUnreachable(ud)
	shapeForRun(L, s)
	L.Push(ud)
	return ud
}

// checkSocket returns the socket at argument n.
func checkSocket(L *lua.LState, n int) *sock {
	return checkUserData[*sock](L, n, "socket expected")
}

// receiving makes the running task the owner of s: a socket belongs to the
// task that waits to receive on it, so a handler that dies closes its
// connection however it got it.
func receiving(L *lua.LState, s *sock) {
	if t := host.Of(L).Current(); t != nil && !t.Borrows() {
		s.res.Give(t)
	}
}

// netFailure pushes the result of a failed socket call (see pushIOError),
// after raising "cancelled" if the task was cancelled meanwhile.
func netFailure(L *lua.LState, w netWaiter, err error, partial []byte) int {
	w.done()
	return pushIOError(L, err, partial)
}

// socketNew implements socket.socket([family[, type]]) -> sock.
func socketNew(L *lua.LState) int {
	family := L.OptInt(1, netio.AF_INET)
	typ := L.OptInt(2, netio.SOCK_STREAM)
	s, err := netio.New(host.Of(L).Net(), family, typ)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	pushSocket(L, s)
	return 1
}

// socketTCP implements socket.tcp() -> sock (IPv4 stream).
func socketTCP(L *lua.LState) int {
	s, _ := netio.New(host.Of(L).Net(), netio.AF_INET, netio.SOCK_STREAM)
	pushSocket(L, s)
	return 1
}

// socketUDP implements socket.udp() -> sock (IPv4 datagram).
func socketUDP(L *lua.LState) int {
	s, _ := netio.New(host.Of(L).Net(), netio.AF_INET, netio.SOCK_DGRAM)
	pushSocket(L, s)
	return 1
}

// socketListen implements socket.listen(addr[, backlog | {tls = ...}]) ->
// server | nil, err.
func socketListen(L *lua.LState) int {
	addr, next := checkAddr(L, 1)
	h := host.Of(L)
	s, err := netio.Listen(h.Net(), addr)
	if err != nil {
		return pushIOError(L, err, nil)
	}
	if err := listenTLS(L, next, s); err != nil {
		s.Close()
		return pushIOError(L, err, nil)
	}
	pushSocket(L, s)
	listening(L, s)
	return 1
}

// listening reports a socket that started listening: to Options.OnListen,
// and on stderr when it listens on every interface (a wildcard address,
// as Python's "" is), since that reaches beyond this machine.
func listening(L *lua.LState, s *netio.Socket) {
	h := host.Of(L)
	if t := h.Current(); t != nil {
		s.Emit(netio.Event{Kind: wiretrace.Listen, Ctx: t.Context()})
	} else {
		s.Emit(netio.Event{Kind: wiretrace.Listen})
	}
	a := s.LocalAddr()
	if ta, ok := a.(*net.TCPAddr); ok && (ta.IP == nil || ta.IP.IsUnspecified()) {
		fmt.Fprintf(h.Stderr(), "listening on all interfaces: %s\n", ta)
	}
	h.ListenEvent(a)
}

// socketConnect implements socket.connect(addr[, timeout | {tls = ...,
// timeout = S}]) -> sock | nil, err. With tls, the handshake runs before it
// returns, and a failed one says why ("tls: unknown certificate authority").
func socketConnect(L *lua.LState) int {
	addr, next := checkAddr(L, 1)
	secs, tls := connectOptions(L, next)
	timeout := seconds(secs)
	h := host.Of(L)
	w := newWaiter(L)
	var s *netio.Socket
	var err error
	if tls != nil {
		s, err = netio.DialTLS(w, h.Net(), addr, timeout, *tls)
	} else {
		s, err = netio.Dial(w, h.Net(), addr, timeout)
	}
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	pushSocket(L, s)
	s.Emit(netio.Event{Kind: wiretrace.Connect, Ctx: w.Context()})
	if tls != nil {
		s.Emit(netio.Event{Kind: wiretrace.TLS, Ctx: w.Context()}) // the handshake ran before the trace saw the socket
	}
	return 1
}

// socketGethostname implements socket.gethostname() -> name.
func socketGethostname(L *lua.LState) int {
	name, err := os.Hostname()
	if err != nil {
		return pushIOError(L, err, nil)
	}
	L.Push(lua.LString(name))
	return 1
}

// socketAddress implements socket.address(spec[, default]) -> "host:port":
// the scripts' "[host:]port" argument, on loopback unless a host is given.
// spec nil gives default ("127.0.0.1:1234" unless given).
func socketAddress(L *lua.LState) int {
	def := L.OptString(2, "127.0.0.1:1234")
	v := L.Get(1)
	if v == lua.LNil {
		L.Push(lua.LString(def))
		return 1
	}
	spec := L.CheckString(1)
	addr, err := ParseAddress(spec)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	L.Push(lua.LString(addr))
	return 1
}

// ParseAddress turns a "[host:]port" spec into "host:port", the host
// defaulting to 127.0.0.1.
func ParseAddress(spec string) (string, error) {
	if host, port, err := net.SplitHostPort(spec); err == nil {
		if host == "" {
			host = "127.0.0.1"
		}
		return net.JoinHostPort(host, port), nil
	}
	if spec != "" && strings.Trim(spec, "0123456789") == "" {
		return net.JoinHostPort("127.0.0.1", spec), nil
	}
	return "", fmt.Errorf("bad address %q: want [host:]port", spec)
}

// sockBind implements s:bind(addr) -> true | nil, err.
func sockBind(L *lua.LState) int {
	s := checkSocket(L, 1)
	addr, _ := checkAddr(L, 2)
	if err := s.Bind(addr); err != nil {
		return pushIOError(L, err, nil)
	}
	L.Push(lua.LTrue)
	return 1
}

// sockListen implements s:listen([backlog]) -> true | nil, err.
func sockListen(L *lua.LState) int {
	s := checkSocket(L, 1)
	L.OptInt(2, 0)
	if s.Closed() {
		return pushIOError(L, netio.ErrClosed, nil)
	}
	if err := s.Listen(); err != nil {
		return pushIOError(L, err, nil)
	}
	listening(L, s.Socket)
	L.Push(lua.LTrue)
	return 1
}

// sockAccept implements s:accept() -> conn, peer_addr | nil, err.
func sockAccept(L *lua.LState) int {
	s := checkSocket(L, 1)
	receiving(L, s)
	w := newWaiter(L)
	c, err := s.Accept(w)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	pushSocket(L, c)
	c.Emit(netio.Event{Kind: wiretrace.Accept, Via: s.Socket, Ctx: w.Context()})
	L.Push(lua.LString(addrString(c.RemoteAddr())))
	return 2
}

// sockConnect implements s:connect(addr) -> true | nil, err.
func sockConnect(L *lua.LState) int {
	s := checkSocket(L, 1)
	addr, _ := checkAddr(L, 2)
	w := newWaiter(L)
	if err := s.Connect(w, addr); err != nil {
		return netFailure(L, w, err, nil)
	}
	s.Emit(netio.Event{Kind: wiretrace.Connect, Ctx: w.Context()})
	shapeForRun(L, s.Socket)
	L.Push(lua.LTrue)
	return 1
}

// sockSend implements s:send(data) -> bytes written | nil, err, written.
func sockSend(L *lua.LState) int {
	s := checkSocket(L, 1)
	data := L.CheckString(2)
	w := newWaiter(L)
	n, err := s.Send(w, []byte(data))
	if err != nil {
		netFailure(L, w, err, nil)
		L.Push(lua.LNumber(n))
		return 3
	}
	L.Push(lua.LNumber(n))
	return 1
}

// sockSendall implements s:sendall(data) -> true | nil, err, written.
func sockSendall(L *lua.LState) int {
	if sockSend(L) == 3 {
		return 3
	}
	L.Pop(1)
	L.Push(lua.LTrue)
	return 1
}

// sockRecv implements s:recv(n) -> data ("" at EOF) | nil, err.
func sockRecv(L *lua.LState) int {
	s := checkSocket(L, 1)
	n := checkCount(L, 2)
	receiving(L, s)
	w := newWaiter(L)
	data, err := s.Recv(w, n)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(newLString(data))
	return 1
}

// MaxRecvExactly bounds recv_exactly(n): the whole count is buffered, so a
// length read from a peer must not make it allocate without limit.
const MaxRecvExactly = 64 << 20

// sockRecvExactly implements s:recv_exactly(n) -> data | nil, err, partial.
func sockRecvExactly(L *lua.LState) int {
	s := checkSocket(L, 1)
	n := checkCount(L, 2)
	if n > MaxRecvExactly {
		L.ArgError(2, fmt.Sprintf("count %d is over %d (read large data in pieces)", n, MaxRecvExactly))
	}
	receiving(L, s)
	w := newWaiter(L)
	data, partial, err := s.RecvExactly(restartWaiter{w}, n)
	if err == netio.ErrSuspended {
		return L.Suspend() // called again once input is there
	}
	if err != nil {
		return netFailure(L, w, err, partial)
	}
	L.Push(newLString(data))
	return 1
}

// sockRecvUntil implements s:recv_until(delim[, max]) -> data | nil, err,
// partial. The delimiter is consumed, not returned; max (default 64 KiB)
// bounds the bytes scanned, delimiter included.
func sockRecvUntil(L *lua.LState) int {
	s := checkSocket(L, 1)
	delim := L.CheckString(2)
	if delim == "" {
		L.ArgError(2, "delimiter must not be empty")
	}
	max := netio.DefaultRecvUntilMax
	if L.Get(3) != lua.LNil {
		max = checkCount(L, 3)
		if max < len(delim) {
			L.ArgError(3, "max must be at least the delimiter's length")
		}
	}
	receiving(L, s)
	w := newWaiter(L)
	data, partial, err := s.RecvUntil(restartWaiter{w}, []byte(delim), max)
	if err == netio.ErrSuspended {
		return L.Suspend() // called again once input is there
	}
	if err != nil {
		return netFailure(L, w, err, partial)
	}
	L.Push(newLString(data))
	return 1
}

// sockSendto implements s:sendto(data, addr) -> bytes sent | nil, err.
func sockSendto(L *lua.LState) int {
	s := checkSocket(L, 1)
	data := L.CheckString(2)
	addr, _ := checkAddr(L, 3)
	w := newWaiter(L)
	n, err := s.SendTo(w, []byte(data), addr)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// sockRecvfrom implements s:recvfrom(n) -> data, addr | nil, err.
func sockRecvfrom(L *lua.LState) int {
	s := checkSocket(L, 1)
	n := checkCount(L, 2)
	receiving(L, s)
	w := newWaiter(L)
	data, from, err := s.RecvFrom(w, n)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(newLString(data))
	L.Push(lua.LString(addrString(from)))
	return 2
}

// sockSettimeout implements s:settimeout(seconds|nil): nil blocks forever.
func sockSettimeout(L *lua.LState) int {
	s := checkSocket(L, 1)
	if L.Get(2) == lua.LNil {
		s.SetTimeout(-1)
		return 0
	}
	s.SetTimeout(seconds(checkSeconds(L, 2)))
	return 0
}

// sockGettimeout implements s:gettimeout() -> seconds | nil.
func sockGettimeout(L *lua.LState) int {
	s := checkSocket(L, 1)
	if t := s.Timeout(); t >= 0 {
		L.Push(lua.LNumber(t.Seconds()))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// sockSetblocking implements s:setblocking(flag): true is settimeout(nil),
// false settimeout(0), as in Python.
func sockSetblocking(L *lua.LState) int {
	s := checkSocket(L, 1)
	if L.ToBool(2) {
		s.SetTimeout(-1)
	} else {
		s.SetTimeout(0)
	}
	return 0
}

// sockShutdown implements s:shutdown(how) with how "r", "w" or "rw".
func sockShutdown(L *lua.LState) int {
	s := checkSocket(L, 1)
	how := L.OptString(2, "rw")
	if how != "r" && how != "w" && how != "rw" {
		L.ArgError(2, `how must be "r", "w" or "rw"`)
	}
	if how != "r" {
		w := newWaiter(L)
		if err := s.Flush(w); err != nil && !errors.Is(err, netio.ErrClosed) {
			return netFailure(L, w, err, nil)
		}
	}
	if err := s.Shutdown(how); err != nil {
		return pushIOError(L, err, nil)
	}
	L.Push(lua.LTrue)
	return 1
}

// sockClose implements s:close(): output held back is written first
// (waiting if it must); closing twice is harmless.
func sockClose(L *lua.LState) int {
	s := checkSocket(L, 1)
	closeSock(L, s)
	return 0
}

// closeSock closes s for the running task: output held back first
// (waiting if it must), then the socket, named in the trace as the task's.
func closeSock(L *lua.LState, s *sock) {
	if s.Closed() {
		return
	}
	if s.Pending() {
		s.Flush(newWaiter(L))
	}
	if t := host.Of(L).Current(); t != nil {
		s.CloseFrom(t.Context())
	}
	s.res.Close()
}

// sockGetsockname implements s:getsockname() -> "host:port" | nil, "closed".
func sockGetsockname(L *lua.LState) int {
	s := checkSocket(L, 1)
	if s.Closed() {
		return pushIOError(L, netio.ErrClosed, nil)
	}
	a := s.LocalAddr()
	if a == nil {
		L.ArgError(1, "socket is not bound")
	}
	L.Push(lua.LString(addrString(a)))
	return 1
}

// sockGetpeername implements s:getpeername() -> "host:port" | nil, "closed".
func sockGetpeername(L *lua.LState) int {
	s := checkSocket(L, 1)
	if s.Closed() {
		return pushIOError(L, netio.ErrClosed, nil)
	}
	a := s.RemoteAddr()
	if a == nil {
		L.ArgError(1, "socket is not connected")
	}
	L.Push(lua.LString(addrString(a)))
	return 1
}

// addrString renders an address as scripts see it: "host:port",
// "[v6]:port", or a Unix path ("" for an unnamed Unix peer).
func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// SocketString is how a socket prints: <tcp 127.0.0.1:5000 -> 127.0.0.1:61234>.
func SocketString(s *netio.Socket) string {
	kind := s.Kind()
	switch {
	case s.Closed():
		return "<" + kind + " closed>"
	case s.RemoteAddr() != nil:
		return fmt.Sprintf("<%s%s %s -> %s>", kind, tlsString(s), addrString(s.LocalAddr()), addrString(s.RemoteAddr()))
	case s.IsListening():
		return fmt.Sprintf("<%s%s listening %s>", kind, tlsString(s), addrString(s.LocalAddr()))
	case s.LocalAddr() != nil:
		return fmt.Sprintf("<%s bound %s>", kind, addrString(s.LocalAddr()))
	}
	return "<" + kind + " new>"
}

// sockString implements __tostring.
func sockString(L *lua.LState) int {
	L.Push(lua.LString(SocketString(checkSocket(L, 1).Socket)))
	return 1
}
