package testrunner

// The testing module: what a test file needs besides checks. Also a
// global in test files.
//
//	testing.skip(reason)                  end the test here, as skipped
//	testing.virtual_time()                a top-level statement: the file runs in virtual time
//	testing.output() -> string            what the test has printed so far
//	testing.cleanup(fn)                   call fn() after the test and teardown (last first)
//	testing.server(handler[, opts]) -> addr, srv   (testing.lua)
//	testing.echo_server([opts]) -> addr, srv       (testing.lua)
//	testing.free_addr(["udp"]) -> addr             (testing.lua)

import (
	_ "embed"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

//go:embed testing.lua
var testingLua string

var testingFuncs = map[string]lua.LGFunction{
	"skip":         testingSkip,
	"virtual_time": testingVirtualTime,
	"output":       testingOutput,
	"cleanup":      testingCleanup,
}

// stateKey is the registry key of a test host's *state.
const stateKey = "netplay.testing"

// skipTypeName names the metatable of the value testing.skip raises.
const skipTypeName = "netplay.skip"

// state is what the testing module knows of the test running on its host.
// Only touched with the interpreter held (or before the first task).
type state struct {
	file     string // the test file, as the report shows it
	loading  bool   // the file's chunk is running
	skip     string // "file:line: reason" once testing.skip was called
	cleanups []*lua.LFunction
	out      *capture
}

// stateOf is the state of L's host.
func stateOf(L *lua.LState) *state {
	ud, ok := L.GetField(L.Get(lua.RegistryIndex), stateKey).(*lua.LUserData)
	if !ok {
		L.RaiseError("testing: not in a test file")
	}
	return ud.Value.(*state)
}

// setState stores st in L's registry for the testing module.
func setState(L *lua.LState, st *state) {
	ud := L.NewUserData()
	ud.Value = st
	L.SetField(L.Get(lua.RegistryIndex), stateKey, ud)
}

// OpenTesting is the loader of the testing module: the Go functions, then
// testing.lua's (server, echo_server, free_addr), which builds on them.
func OpenTesting(L *lua.LState) int {
	skipMeta := L.NewTypeMetatable(skipTypeName)
	L.SetField(skipMeta, "__tostring", L.NewFunction(skipString))
	mod := L.SetFuncs(L.NewTable(), testingFuncs)
	fn, err := L.Load(strings.NewReader(testingLua), "testing.lua")
	if err != nil {
		L.RaiseError("testing.lua: %v", err)
	}
	L.Push(fn)
	L.Push(mod)
	L.Call(1, 0)
	L.Push(mod)
	return 1
}

// skipSignal is the error value testing.skip raises.
type skipSignal struct{ reason string }

// isSkip reports whether err is what testing.skip raised.
func isSkip(err error) bool {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		return false
	}
	ud, ok := ae.Object.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(*skipSignal)
	return ok
}

func skipString(L *lua.LState) int {
	ud := L.CheckUserData(1)
	sk, _ := ud.Value.(*skipSignal)
	reason := ""
	if sk != nil {
		reason = sk.reason
	}
	L.Push(lua.LString("skipped: " + reason))
	return 1
}

// testingSkip implements testing.skip(reason): the test (or setup) stops
// here and counts as skipped. A pcall around it catches the error it
// raises but not the skip: the test is skipped unless it fails later.
func testingSkip(L *lua.LState) int {
	reason := L.OptString(1, "skipped")
	st := stateOf(L)
	if st.loading {
		L.RaiseError("testing.skip belongs in a test or in setup(), not in the file's top level")
	}
	st.skip = strings.TrimSuffix(L.Where(1), ":") + ": " + reason
	ud := L.NewUserData()
	ud.Value = &skipSignal{reason: reason}
	L.SetMetatable(ud, L.GetTypeMetatable(skipTypeName))
	L.Error(ud, 0)
	return 0
}

// testingVirtualTime implements testing.virtual_time(): written as a
// statement of its own at the top level of a test file, it runs the whole
// file in virtual time. The runner looks for it before it makes the host,
// so anywhere else it raises.
func testingVirtualTime(L *lua.LState) int {
	st := stateOf(L)
	switch {
	case !st.loading:
		L.RaiseError("testing.virtual_time() belongs at the top level of the test file, where the runner reads it before it makes the host (or run netplay test --virtual-time)")
	case !host.Of(L).Virtual():
		L.RaiseError("testing.virtual_time() must be a statement of its own at the top level of the file, not inside a block: the runner reads it there before it makes the host")
	}
	return 0
}

// testingOutput implements testing.output() -> string: what the test has
// printed so far (print and io.write; not stderr), from the file's top
// level on.
func testingOutput(L *lua.LState) int {
	L.Push(lua.LString(stateOf(L).out.StdoutString()))
	return 1
}

// testingCleanup implements testing.cleanup(fn): fn() runs after the test
// and teardown(), even when the test failed; the last registered first.
func testingCleanup(L *lua.LState) int {
	fn := L.CheckFunction(1)
	st := stateOf(L)
	st.cleanups = append(st.cleanups, fn)
	return 0
}
