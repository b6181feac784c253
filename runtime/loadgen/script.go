package loadgen

import (
	"bytes"
	"fmt"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"netplay/runtime/lualib"
)

// Script is a Lua file that makes the requests and checks the replies of
// a protocol that is not a plain echo. It defines either or both of
//
//	request(conn, seq) -> payload      the message to send (the codec frames it)
//	check(request, reply, conn, seq) -> true | false/nil[, why]
//
// conn is the connection number (1..conns) and seq the message's number
// on that connection (1, 2, ...). Without request, the payloads are the
// generated ones (stamped, --size bytes); without check, a reply must
// equal its request byte for byte. Every connection runs the file in a
// Lua state of its own (Lua 5.1's libraries, with netplay's bin and json
// modules preloaded and set as globals), so globals are per connection
// and need no locking.
type Script struct {
	name       string
	proto      *lua.FunctionProto
	hasRequest bool
	hasCheck   bool
}

// NewScript compiles src (named name in messages) and runs it once to
// see that it defines request or check.
func NewScript(name string, src []byte) (*Script, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Script{name: name, proto: proto}
	probe, err := s.open()
	if err != nil {
		return nil, err
	}
	defer probe.close()
	s.hasRequest, s.hasCheck = probe.request != nil, probe.check != nil
	if !s.hasRequest && !s.hasCheck {
		return nil, fmt.Errorf("%s defines neither request(conn, seq) nor check(request, reply, conn, seq)", name)
	}
	return s, nil
}

// Name is the name the script was made with.
func (s *Script) Name() string { return s.name }

// connScript is a script's Lua state for one connection.
type connScript struct {
	name    string
	L       *lua.LState
	request *lua.LFunction
	check   *lua.LFunction
}

// open makes a Lua state with bin and json and runs the script in it.
func (s *Script) open() (*connScript, error) {
	L := lua.NewState()
	for _, m := range []struct {
		name   string
		loader lua.LGFunction
	}{{"bin", lualib.OpenBin}, {"json", lualib.OpenJSON}} {
		L.PreloadModule(m.name, m.loader)
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("require"), NRet: 1, Protect: true}, lua.LString(m.name)); err != nil {
			L.Close()
			return nil, fmt.Errorf("loading %s: %w", m.name, err)
		}
		L.SetGlobal(m.name, L.Get(-1))
		L.Pop(1)
	}
	L.Push(L.NewFunctionFromProto(s.proto))
	if err := L.PCall(0, 0, nil); err != nil {
		L.Close()
		return nil, fmt.Errorf("script %w", err)
	}
	cs := &connScript{name: s.name, L: L}
	var err error
	if cs.request, err = cs.function("request"); err == nil {
		cs.check, err = cs.function("check")
	}
	if err != nil {
		L.Close()
		return nil, err
	}
	return cs, nil
}

// function is the global function name, nil when it is not defined.
func (cs *connScript) function(name string) (*lua.LFunction, error) {
	switch v := cs.L.GetGlobal(name).(type) {
	case *lua.LFunction:
		return v, nil
	case *lua.LNilType:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s: %s is a %s, not a function", cs.name, name, v.Type())
	}
}

func (cs *connScript) close() { cs.L.Close() }

// makeRequest calls request(conn, seq).
func (cs *connScript) makeRequest(conn int, seq uint64) (lua.LString, error) {
	L := cs.L
	if err := L.CallByParam(lua.P{Fn: cs.request, NRet: 1, Protect: true}, lua.LNumber(conn), lua.LNumber(seq)); err != nil {
		return "", fmt.Errorf("script request: %w", err)
	}
	v := L.Get(-1)
	L.Pop(1)
	switch v := v.(type) {
	case lua.LString:
		return v, nil
	case lua.LNumber:
		return lua.LString(v.String()), nil
	}
	return "", fmt.Errorf("script request returned %s, want a string", v.Type())
}

// checkReply calls check(request, reply, conn, seq). A failed check is
// (false, why); a Lua error is err.
func (cs *connScript) checkReply(request lua.LString, reply []byte, conn int, seq uint64) (ok bool, why string, err error) {
	L := cs.L
	if err := L.CallByParam(lua.P{Fn: cs.check, NRet: 2, Protect: true}, request, lua.LString(reply), lua.LNumber(conn), lua.LNumber(seq)); err != nil {
		return false, "", fmt.Errorf("script check: %w", err)
	}
	verdict, reason := L.Get(-2), L.Get(-1)
	L.Pop(2)
	if lua.LVAsBool(verdict) {
		return true, "", nil
	}
	if reason == lua.LNil {
		return false, "check failed", nil
	}
	return false, reason.String(), nil
}
