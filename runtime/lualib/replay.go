package lualib

// The replay module: a recorded session (netplay --record) as a mock peer.
//
//	replay.peer(file[, {as = "server"|"client", addr = a, timeout = s, speed = x}]) -> peer | nil, err
//	p.addr p.as p.file
//	p:wait([timeout]) -> true | nil, report ("timeout": still running; "closed": p:close() came first)
//	p:close()
//
// The replay (runtime/replay) runs as tasks of the host on its own
// sockets: every wait is the host's, so the script's tasks run meanwhile,
// under virtual time too. Its sockets are not traced.

import (
	"fmt"
	"io"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
	"netplay/runtime/replay"
	"netplay/runtime/sched"
)

// PeerTypeName names the replay peer userdata's metatable.
const PeerTypeName = "netplay.replay_peer"

var replayFuncs = map[string]lua.LGFunction{
	"peer": replayPeer,
}

var peerMethods = map[string]lua.LGFunction{
	"wait":  peerWait,
	"close": peerClose,
}

// OpenReplay is the loader of the replay module.
func OpenReplay(L *lua.LState) int {
	mt := L.NewTypeMetatable(PeerTypeName)
	L.SetField(mt, "__index", L.NewFunction(peerIndex))
	L.SetField(mt, "__tostring", L.NewFunction(peerString))
	L.SetField(mt, "__name", lua.LString(PeerTypeName))
	L.SetField(mt, "methods", L.SetFuncs(L.NewTable(), peerMethods))
	L.Push(L.SetFuncs(L.NewTable(), replayFuncs))
	return 1
}

// peer is a replay running as a task. Its fields change only with the
// interpreter held.
type peer struct {
	file, addr string
	side       replay.Side
	task       *host.Task
	ln         *netio.Socket // netplay the server: the listener
	rp         *replay.Replay
	res        *replay.Result
}

func checkPeer(L *lua.LState, n int) *peer {
	return checkUserData[*peer](L, n, "replay peer expected")
}

// peerOptions are replay.peer's options.
type peerOptions struct {
	side    replay.Side
	addr    string
	timeout time.Duration
	speed   float64
}

func checkPeerOptions(L *lua.LState, n int) peerOptions {
	o := peerOptions{side: replay.Server, timeout: replay.DefaultTimeout}
	t := L.OptTable(n, nil)
	if t == nil {
		return o
	}
	switch v := t.RawGetString("as").(type) {
	case *lua.LNilType:
	case lua.LString:
		side, err := replay.ParseSide(string(v))
		if err != nil {
			L.ArgError(n, `as must be "server" or "client"`)
		}
		o.side = side
	default:
		L.ArgError(n, `as must be "server" or "client"`)
	}
	switch v := t.RawGetString("addr").(type) {
	case *lua.LNilType:
	case lua.LString:
		o.addr = string(v)
	default:
		L.ArgError(n, `addr must be an address "host:port"`)
	}
	switch v := t.RawGetString("timeout").(type) {
	case *lua.LNilType:
	case lua.LNumber:
		if v <= 0 || v != v {
			L.ArgError(n, "timeout must be more than 0 seconds")
		}
		o.timeout = seconds(float64(v))
	default:
		L.ArgError(n, "timeout must be a number of seconds")
	}
	switch v := t.RawGetString("speed").(type) {
	case *lua.LNilType:
	case lua.LNumber:
		if v < 0 || v != v {
			L.ArgError(n, "speed must be 0 or more")
		}
		o.speed = float64(v)
	default:
		L.ArgError(n, "speed must be a number")
	}
	if o.side == replay.Client && o.addr == "" {
		L.ArgError(n, `{as = "client"} needs addr, the live server's address`)
	}
	return o
}

// replayPeer implements replay.peer(file[, opts]) -> peer | nil, err:
// plays one side of the recording in file against the script's own
// sockets, as tasks of the host. As the server (the default) it listens
// at once, on opts.addr or 127.0.0.1:0, and p.addr is where; as the
// client it connects to opts.addr. A recording that cannot be read or
// played, or an address outside loopback and the private ranges, gives
// nil, err.
func replayPeer(L *lua.LState) int {
	file := L.CheckString(1)
	o := checkPeerOptions(L, 2)
	plan, err := replay.ReadPlan(file, o.side)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	addr := o.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if addr, err = ParseAddress(addr); err == nil {
		err = netio.CheckTestAddress(addr)
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	h := host.Of(L)
	p := &peer{file: file, addr: addr, side: o.side}
	if o.side == replay.Server {
		ln, err := netio.Listen(h.Net(), addr)
		if err != nil {
			return pushIOError(L, err, nil)
		}
		p.ln, p.addr = ln, ln.LocalAddr().String()
	}
	opts := replay.Options{
		Timeout: o.timeout,
		Speed:   o.speed,
		Network: h.Net(),
		Spawn: func(parent netio.Waiter, name string, fn func(netio.Waiter)) {
			pL := parent.(netWaiter).L
			g := pL.NewFunction(func(L *lua.LState) int {
				fn(newWaiter(L))
				return 0
			})
			host.Of(pL).SpawnFrom(pL, g, nil, host.SpawnOptions{Name: name, Quiet: true})
		},
		Own: func(w netio.Waiter, s *netio.Socket) io.Closer {
			return host.Of(w.(netWaiter).L).NewResourceFor(s, host.TaskFrom(w.Context()))
		},
	}
	p.rp = replay.New(plan, opts)
	run := L.NewFunction(func(L *lua.LState) int {
		w := newWaiter(L)
		if p.side == replay.Server {
			p.res = p.rp.Serve(w, p.ln)
		} else {
			p.res = p.rp.Connect(w, p.addr)
		}
		return 0
	})
	ud := newUserData(L, p, PeerTypeName)
	p.task = h.SpawnFrom(L, run, nil, host.SpawnOptions{Name: "replay.peer " + file, Quiet: true})
	L.Push(ud)
	return 1
}

// peerIndex implements p.addr, p.as, p.file and the methods.
func peerIndex(L *lua.LState) int {
	p := checkPeer(L, 1)
	switch key := L.CheckString(2); key {
	case "addr":
		L.Push(lua.LString(p.addr))
	case "as":
		L.Push(lua.LString(p.side.String()))
	case "file":
		L.Push(lua.LString(p.file))
	default:
		L.Push(L.GetField(L.GetField(L.GetTypeMetatable(PeerTypeName), "methods"), key))
	}
	return 1
}

// peerWait implements p:wait([timeout]) -> true | nil, report: waits for
// the replay to end. The report is the first difference, as netplay
// replay prints it; "closed" after p:close(), "cancelled" when the host
// stopped it, "timeout" when timeout seconds passed first (the replay
// goes on).
func peerWait(L *lua.LState) int {
	p := checkPeer(L, 1)
	h := host.Of(L)
	deadline := optDeadline(L, 2)
	if !p.task.Ended() {
		pk := h.Parker()
		p.task.OnEnd(pk)
		if h.Park(L, "replay.peer", pk, deadline) == sched.TimedOut {
			p.task.DropOnEnd(pk)
			L.Push(lua.LNil)
			L.Push(lua.LString("timeout"))
			return 2
		}
	}
	switch {
	case p.res != nil && p.res.Diff != nil:
		L.Push(lua.LNil)
		L.Push(lua.LString(strings.TrimSuffix(p.res.Diff.Report(), "\n")))
		return 2
	case p.res != nil && p.res.Stopped:
		L.Push(lua.LNil)
		L.Push(lua.LString("closed"))
		return 2
	case p.res == nil || !p.res.OK():
		L.Push(lua.LNil)
		L.Push(lua.LString("cancelled"))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// peerClose implements p:close(): stops the replay (its listener and
// connections close at once, its tasks end soon after: p:wait() returns
// when they have); harmless once it has ended.
func peerClose(L *lua.LState) int {
	checkPeer(L, 1).rp.Stop()
	return 0
}

func peerString(L *lua.LState) int {
	p := checkPeer(L, 1)
	state := "running"
	switch {
	case !p.task.Ended():
	case p.res != nil && p.res.Diff != nil:
		state = "different"
	case p.res != nil && p.res.Stopped:
		state = "closed"
	case p.res != nil && p.res.OK():
		state = "matched"
	default:
		state = "cancelled"
	}
	L.Push(lua.LString(fmt.Sprintf("<replay.peer %s %s %s: %s>", p.side, p.addr, p.file, state)))
	return 1
}
