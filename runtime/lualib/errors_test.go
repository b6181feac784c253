package lualib_test

import (
	"testing"

	"netplay/runtime/luatest"
)

// A task's uncaught error is reported with a traceback that names the
// task's function as it was spawned (not "main chunk", which gopher-lua
// calls the first frame of every thread), and with what a terminal would
// act on escaped: a message can carry any bytes, a peer's included.
func TestTaskErrorReports(t *testing.T) {
	cases := []struct {
		name, code, stderr string
	}{
		{"a local function", "local function worker(n)\n  error('boom ' .. n)\nend\nspawn(worker, 1)",
			"task 2: <string>:2: boom 1\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:2: in function 'worker'\n"},
		{"a global function", "function gw()\n  local x\n  x()\nend\nspawn(gw)",
			"task 2: <string>:3: attempt to call local 'x' (a nil value)\nstack traceback:\n\t<string>:3: in function 'gw'\n"},
		{"a field", "local t = {}\nfunction t.handler() error('h') end\nspawn(t.handler)",
			"task 2: <string>:2: h\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:2: in function 'handler'\n"},
		{"a function without a name", "spawn(function()\n  error('anon')\nend)",
			"task 2: <string>:2: anon\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:2: in function <<string>:1>\n"},
		{"a nested call", "local function inner() error('deep') end\nlocal function worker() inner() end\nspawn(worker)",
			"task 2: <string>:1: deep\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:1: in function 'inner'\n\t<string>:2: in function 'worker'\n"},
		{"a chunk stays the main chunk", "spawn(loadstring('error(\"c\")', 'chunk'))",
			"task 2: chunk:1: c\nstack traceback:\n\t[G]: in function 'error'\n\tchunk:1: in main chunk\n\t[G]: ?\n"},
		{"escape codes are escaped", "spawn(function() error('\\27[31mred\\r\\0' .. string.char(255)) end)",
			"task 2: <string>:1: \\27[31mred\\r\\0\\255\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:1: in function <<string>:1>\n"},
		{"unicode stays", "spawn(function() error('héllo\\twörld', 0) end)",
			"task 2: héllo\twörld\nstack traceback:\n\t[G]: in function 'error'\n\t<string>:1: in function <<string>:1>\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := luatest.Run(t, c.code, nil)
			if r.Err != nil || r.Stderr != c.stderr {
				t.Fatalf("stderr:\n%q\nwant:\n%q\n(main: %v)", r.Stderr, c.stderr, r.Err)
			}
		})
	}
}
