package lualib

// Faults on demand, from Lua.
//
//	s:shape{split = N, delay = S, jitter = S, coalesce = true,
//	        close_after = BYTES, reset_after = BYTES, seed = N}     (streams)
//	s:shape{drop = P, duplicate = P, reorder = true, seed = N}     (datagrams)
//	s:shape(nil) or s:shape{}   stops shaping new writes
//	s:shaped() -> the spec as a table, or nil
//	--shape 'split=3,delay=0.01'  shapes every socket of a run

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
)

// shapeKeys are the fields a shape table may have, in the order s:shaped
// lists them.
var shapeKeys = []string{"split", "delay", "jitter", "coalesce", "close_after", "reset_after", "seed", "drop", "duplicate", "reorder"}

// checkShape reads the shape table at n.
func checkShape(L *lua.LState, n int) netio.ShapeSpec {
	spec := netio.NoShape()
	if L.Get(n) == lua.LNil {
		return spec
	}
	t := L.CheckTable(n)
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			err = fmt.Errorf("shape keys are names, not %s", k.Type())
			return
		}
		text := v.String()
		if b, ok := v.(lua.LBool); ok {
			text = fmt.Sprint(bool(b))
		}
		err = spec.SetShapeField(string(key), text)
	})
	if err != nil {
		L.ArgError(n, err.Error())
	}
	return spec
}

// spawner starts a shaper's worker as a daemon task of L's host.
func spawner(L *lua.LState) netio.Spawner {
	return func(name string, run func(w netio.Waiter)) {
		body := L.NewFunction(func(L *lua.LState) int {
			run(newWaiter(L))
			return 0
		})
		host.Of(L).SpawnFrom(L, body, nil, host.SpawnOptions{Name: name, Daemon: true, Quiet: true})
	}
}

// sockShape implements s:shape(spec): from now on the socket's writes are
// delivered as spec says (see netio.ShapeSpec). A stream socket must be
// connected.
func sockShape(L *lua.LState) int {
	s := checkSocket(L, 1)
	spec := checkShape(L, 2)
	if err := s.Shape(spec, spawner(L)); err != nil {
		return pushIOError(L, err, nil)
	}
	L.Push(lua.LTrue)
	return 1
}

// sockShaped implements s:shaped() -> {split = ..., ...} | nil.
func sockShaped(L *lua.LState) int {
	spec, ok := checkSocket(L, 1).Shaped()
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	t := L.NewTable()
	fields := map[string]lua.LValue{}
	if spec.Split > 0 {
		fields["split"] = lua.LNumber(spec.Split)
	}
	if spec.Delay > 0 {
		fields["delay"] = lua.LNumber(spec.Delay.Seconds())
	}
	if spec.Jitter > 0 {
		fields["jitter"] = lua.LNumber(spec.Jitter.Seconds())
	}
	if spec.Coalesce {
		fields["coalesce"] = lua.LTrue
	}
	if spec.CloseAfter >= 0 {
		fields["close_after"] = lua.LNumber(spec.CloseAfter)
	}
	if spec.ResetAfter >= 0 {
		fields["reset_after"] = lua.LNumber(spec.ResetAfter)
	}
	if spec.Drop > 0 {
		fields["drop"] = lua.LNumber(spec.Drop)
	}
	if spec.Duplicate > 0 {
		fields["duplicate"] = lua.LNumber(spec.Duplicate)
	}
	if spec.Reorder {
		fields["reorder"] = lua.LTrue
	}
	fields["seed"] = lua.LNumber(spec.Seed)
	for _, k := range shapeKeys {
		if v, ok := fields[k]; ok {
			t.RawSetString(k, v)
		}
	}
	L.Push(t)
	return 1
}

// shapeForRun applies the run's --shape to a socket that just connected
// (or was accepted), or a datagram socket.
func shapeForRun(L *lua.LState, s *netio.Socket) {
	spec := host.Of(L).Options().Shape
	if spec == nil {
		return
	}
	if s.Type() == netio.SOCK_STREAM && s.RemoteAddr() == nil {
		return // not connected yet: shaped when it is
	}
	s.Shape(*spec, spawner(L))
}
