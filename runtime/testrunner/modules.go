package testrunner

import (
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
	return h, nil
}
