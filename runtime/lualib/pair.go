package lualib

// socket.pair: two connected sockets, for tests and for scripts that talk
// to themselves. Registered into the socket module by NewHost.
//
//	socket.pair() -> a, b | nil, err

import (
	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
)

// pairFuncs are the socket module's functions that live in this file.
var pairFuncs = map[string]lua.LGFunction{
	"pair": socketPair,
}

// registerPair adds socket.pair to the loaded socket module (the global
// and what require "socket" returns are the same table).
func registerPair(L *lua.LState) {
	if mod, ok := L.GetGlobal("socket").(*lua.LTable); ok {
		L.SetFuncs(mod, pairFuncs)
	}
}

// socketPair implements socket.pair() -> a, b | nil, err: the two ends of
// a fresh TCP connection, a the connecting end and b the accepted one. On
// loopback (127.0.0.1, a port the system picks) normally; on the
// in-process network under virtual time. Both belong to the calling task;
// the listener used to make them is closed before it returns.
func socketPair(L *lua.LState) int {
	h := host.Of(L)
	ln, err := netio.Listen(h.Net(), "127.0.0.1:0")
	if err != nil {
		return pushIOError(L, err, nil)
	}
	defer ln.Close()
	w := newWaiter(L)
	a, err := netio.Dial(w, h.Net(), ln.LocalAddr().String(), 0)
	if err != nil {
		return netFailure(L, w, err, nil)
	}
	b, err := ln.Accept(w)
	if err != nil {
		a.Close()
		return netFailure(L, w, err, nil)
	}
	pushSocket(L, a)
	pushSocket(L, b)
	return 2
}
