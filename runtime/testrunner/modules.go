package testrunner

import (
	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
)

// Modules are the modules test files get on top of lualib's, each also a
// global.
var Modules = []host.Module{
	{Name: "expect", Loader: OpenExpect},
	{Name: "testing", Loader: OpenTesting},
}

// NewHost returns a host as a test file gets it: every netplay module,
// expect and testing (with no test running: testing.output() is "").
func NewHost(opts host.Options) (*host.Host, error) {
	return newHost(opts, &state{out: &capture{}})
}

// newHost is NewHost for the test whose state st is.
func newHost(opts host.Options, st *state) (*host.Host, error) {
	h, err := lualib.NewHost(opts)
	if err != nil {
		return nil, err
	}
	setState(h.L, st)
	if err := h.Install(Modules); err != nil {
		h.Close()
		return nil, err
	}
	if osMod, ok := h.L.GetGlobal("os").(*lua.LTable); ok {
		osMod.RawSetString("exit", h.L.NewFunction(osExitInTest))
	}
	return h, nil
}

// osExitInTest implements os.exit([code]) in a test file: it raises the
// error "os.exit(code)" (true: 0, false: 1; default 0) instead of ending
// the run, as Python's sys.exit raises SystemExit under pytest. A script
// that exits fails the test, unless the test expects it:
// expect.error(function() run("client.lua", addr) end, "os.exit%(1%)").
func osExitInTest(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	}
	L.RaiseError("os.exit(%d)", code)
	return 0
}
