package lualib_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/luatest"
)

// A task idle in a framed recv, recv_until or recv_exactly waits with its
// Lua frames off its goroutine's stack (netio/suspend.go), where the call
// is made straight from the task's own code; elsewhere, and in plain
// recv(n), it waits in place. Either way the message arrives as before.
func TestIdleReceiveUnwindsTheTaskStack(t *testing.T) {
	for _, tc := range []struct{ name, recv, want string }{
		{"in the task's own code", `local m = f:recv(); return m`, "unwound"},
		{"in a function it calls", `local function get() local m = f:recv(); return m end; local m = get(); return m`, "unwound"},
		{"under pcall", `local ok, m = pcall(f.recv, f); return m`, "in place"},
		{"in a generic for", `for m in f:frames() do return m end`, "in place"},
		{"in a coroutine", `local m = coroutine.wrap(function() return (f:recv()) end)(); return m`, "in place"},
		{"as a tail call", `return f:recv()`, "in place"},
		{"with a timeout", `c:settimeout(30); local m = f:recv(); return m`, "in place"},
		{"recv_until", `c:recv_until("5         "); local m = c:recv_exactly(5); return m`, "unwound"},
		{"recv_exactly", `local m = c:recv_exactly(15); return m:sub(11)`, "unwound"},
		{"a Lua codec", `local lf = frame.wrap(c, frame.new{encode = function(m) return m end,
			decode = function(buf) if #buf >= 15 then return buf:sub(11, 15), 15 end end})
			local m = lf:recv(); return m`, "unwound"},
		{"plain recv", `local m = c:recv(15); return m:sub(11)`, "in place"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runWithStackProbe(t, `
				local T = require("luatest")
				local srv = assert(socket.listen("127.0.0.1:0"))
				local server = spawn(function()
					local c = srv:accept()
					local f = frame.wrap(c, frame.header())
					local function serve() `+tc.recv+` end
					local m = serve()
					f:send("got " .. m)
				end)
				local cs = assert(socket.connect(srv:getsockname()))
				local client = frame.wrap(cs, frame.header())
				while not server:status():find("^waiting: recv") do sleep(0) end
				print(waiting_stack())
				cs:sendall("5         hello")
				print(client:recv())
			`)
			if want := tc.want + "\ngot hello\n"; r != want {
				t.Fatalf("stdout %q, want %q", r, want)
			}
		})
	}
}

// runWithStackProbe runs code as the main task, with waiting_stack():
// "unwound" when the one task waiting in the poller waits without the
// Lua VM on its goroutine's stack, "in place" when it has it.
func runWithStackProbe(t *testing.T, code string) string {
	t.Helper()
	probe := lua.LGFunction(func(L *lua.LState) int {
		L.Push(lua.LString(waitingStack(t)))
		return 1
	})
	r := luatest.MustRun(t, code, map[string]any{"waiting_stack": probe})
	if r.Stderr != "" {
		t.Fatalf("stderr:\n%s", r.Stderr)
	}
	return r.Stdout
}

// waitingStack looks at the goroutine of the one task waiting in the
// poller. Its status says "waiting" as it gives the interpreter up, a
// moment before its goroutine parks in the poller: the stacks are looked
// at again until it has (at most 10 s).
func waitingStack(t *testing.T) string {
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		var waiting []string
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "netio.(*realStream).readBody") && strings.Contains(g, "runtime_pollWait") {
				waiting = append(waiting, g)
			}
		}
		switch {
		case len(waiting) == 1 && strings.Contains(waiting[0], "gopher-lua.mainLoop"):
			return "in place"
		case len(waiting) == 1:
			return "unwound"
		case len(waiting) > 1 || time.Now().After(deadline):
			t.Errorf("%d tasks waiting in the poller, want 1:\n%s", len(waiting), strings.Join(waiting, "\n\n"))
			return "?"
		}
		time.Sleep(time.Millisecond) // until the goroutine parks: polled, bounded above
	}
}
