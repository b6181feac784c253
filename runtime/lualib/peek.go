package lualib

// Peek and push back, on sockets and framed sockets (pwntools' unrecv):
// a server can look at the first bytes of a connection before it decides
// how to read it.
//
//	s:peek(n) -> up to n bytes, not consumed ("" at EOF) | nil, err
//	s:unread(data) -> true | nil, err    data comes first on the next receive
//	f:peek(n)  f:unread(data)            the same, on a framed socket's socket

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/framing"
	"netplay/runtime/netio"
)

// MaxUnread bounds what a socket's buffer may hold after unread: the bytes
// pushed back plus those already buffered (1 MiB, the default frame size).
const MaxUnread = framing.DefaultMax

// sockPeek implements s:peek(n) -> data | nil, err: up to n of the bytes
// buffered, without consuming them, waiting (as recv does) until at least
// one has arrived; "" at the end of the stream, or at once for n = 0.
func sockPeek(L *lua.LState) int {
	return peek(L, checkSocket(L, 1))
}

// sockUnread implements s:unread(data) -> true | nil, err: data goes back
// in front of the buffered bytes, so every receive method (and a framed
// read) returns it first.
func sockUnread(L *lua.LState) int {
	return unread(L, checkSocket(L, 1))
}

// framedPeek implements f:peek(n): s:peek(n) on the framed socket's socket
// (raw bytes, header included; no frame is consumed).
func framedPeek(L *lua.LState) int {
	return peek(L, checkFramed(L, 1).sock)
}

// framedUnread implements f:unread(data): s:unread(data) on the framed
// socket's socket; the next f:recv() decodes data first.
func framedUnread(L *lua.LState) int {
	return unread(L, checkFramed(L, 1).sock)
}

func peek(L *lua.LState, s *sock) int {
	n := checkCount(L, 2)
	if n == 0 {
		if s.Closed() {
			return pushIOError(L, netio.ErrClosed, nil)
		}
		L.Push(lua.LString(""))
		return 1
	}
	receiving(L, s)
	w := newWaiter(L)
	data, err := s.Peek(w, n)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(lua.LString(data))
	return 1
}

func unread(L *lua.LState, s *sock) int {
	data := L.CheckString(2)
	if len(data) > MaxUnread {
		L.ArgError(2, fmt.Sprintf("%d bytes is over unread's limit of %d", len(data), MaxUnread))
	}
	buffered := 0
	s.Buffered(func(buf []byte, _ bool) int { buffered = len(buf); return 0 })
	if buffered+len(data) > MaxUnread {
		return pushIOError(L, netio.ErrTooLong, nil)
	}
	w := newWaiter(L)
	if err := s.Unread(w, []byte(data)); err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(lua.LTrue)
	return 1
}
