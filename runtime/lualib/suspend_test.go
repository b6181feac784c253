package lualib_test

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
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

// A peer's reset met while the recv was suspended is what the recv
// reports (the wait keeps it for the recv called again).
func TestSuspendedFramedRecvReportsAReset(t *testing.T) {
	addr := luatest.ServeTCP(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 5)) // wait for the script's "ready"
		c.(*net.TCPConn).SetLinger(0)   // close with RST, not FIN
	})
	r := luatest.MustRun(t, `
		local c = assert(socket.connect(ADDR))
		c:sendall("ready")
		local f = frame.wrap(c, frame.header())
		print(f:recv())
	`, map[string]any{"ADDR": addr})
	if r.Stdout != "nil\tconnection reset\t\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

// runWithStackProbe runs code as the main task, with waiting_stack():
// "unwound" when the one task waiting in the poller waits without the
// Lua VM on its goroutine's stack, "in place" when it has it.
func runWithStackProbe(t *testing.T, code string) string {
	t.Helper()
	var stdout, stderr luatest.Buffer
	h := luatest.NewHost(t, &stdout, &stderr)
	h.L.SetGlobal("waiting_stack", h.L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(waitingStack(t)))
		return 1
	}))
	fn, err := h.L.LoadString(code)
	if err != nil {
		t.Fatal(err)
	}
	main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main"})
	ctx, cancel := context.WithTimeout(context.Background(), luatest.Timeout)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("tasks still running: %v\nstdout:\n%s", h.Tasks(), stdout.String())
	}
	if _, err := main.Result(); err != nil || stderr.String() != "" {
		t.Fatalf("main: %v\nstderr:\n%s", err, stderr.String())
	}
	return stdout.String()
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
