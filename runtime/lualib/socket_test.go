package lualib_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/luatest"
)

// A peer that vanishes with a TCP reset shows as "connection reset", to a
// plain recv and to a framed one (whose wait may have been suspended: the
// wait keeps the error for the recv called again).
func TestPeerReset(t *testing.T) {
	for _, tc := range []struct{ recv, want string }{
		{`print(c:recv(10))`, "nil\tconnection reset\n"},
		{`print(frame.wrap(c, frame.header()):recv())`, "nil\tconnection reset\t\n"},
	} {
		addr := luatest.ServeTCP(t, func(c net.Conn) {
			io.ReadFull(c, make([]byte, 5)) // wait for the script's "ready"
			c.(*net.TCPConn).SetLinger(0)   // close with RST, not FIN
		})
		r := luatest.MustRun(t, `
			local c = assert(socket.connect(ADDR))
			c:sendall("ready")
			`+tc.recv, map[string]any{"ADDR": addr})
		if r.Stdout != tc.want {
			t.Errorf("%s: stdout = %q, want %q", tc.recv, r.Stdout, tc.want)
		}
	}
}

// Every receive method reads through one buffer: a stream written one byte
// at a time is parsed by a mix of them without losing or reordering a byte.
func TestMixedReceiveMethodsOneByteWrites(t *testing.T) {
	const stream = "HELLO\r\nworld12345line two\nLEN:0011tail-bytes!rest"
	addr := luatest.ServeTCP(t, func(c net.Conn) {
		for i := 0; i < len(stream); i++ {
			if _, err := c.Write([]byte{stream[i]}); err != nil {
				return
			}
		}
	})
	r := luatest.MustRun(t, `
		local c = assert(socket.connect(ADDR))
		print(c:recv_until("\r\n"))
		print(c:recv_exactly(5))
		print(c:recv_exactly(5))
		print(c:recv_until("\n"))
		assert(c:recv_until(":") == "LEN")
		local n = tonumber(c:recv_exactly(4))
		print(c:recv_exactly(n))
		local rest = {}
		while true do
			local piece = c:recv(3)
			if piece == "" then break end
			rest[#rest + 1] = piece
		end
		print(table.concat(rest))
	`, map[string]any{"ADDR": addr})
	want := "HELLO\nworld\n12345\nline two\ntail-bytes!\nrest\n"
	if r.Stdout != want {
		t.Fatalf("stdout = %q, want %q", r.Stdout, want)
	}
}

// A Go peer that writes with pauses: recv(8) returns what has arrived,
// never waits for all 8 bytes.
func TestRecvReturnsWhatArrived(t *testing.T) {
	addr := luatest.ServeTCP(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for _, part := range []string{"ab", "cdefghijk", "l"} {
			if _, err := br.ReadString('\n'); err != nil { // the script asks for each part
				return
			}
			c.Write([]byte(part))
		}
	})
	r := luatest.MustRun(t, `
		local c = assert(socket.connect(ADDR))
		for _ = 1, 3 do
			c:sendall("next\n")
			print(c:recv(8))
		end
		print(c:recv(8))
	`, map[string]any{"ADDR": addr})
	// The last "l" arrives with "k" or on its own; both are TCP.
	if r.Stdout != "ab\ncdefghij\nk\nl\n" && r.Stdout != "ab\ncdefghij\nkl\n\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	ln.Close()
	r := luatest.MustRun(t, `
		local srv = assert(socket.listen("[::1]:0"))
		local addr = srv:getsockname()
		assert(addr:match("^%[::1%]:%d+$"), addr)
		spawn(function()
			local c = assert(socket.connect(addr))
			c:sendall("over v6")
			c:close()
		end)
		local conn, peer = srv:accept()
		assert(peer:match("^%[::1%]:%d+$"), peer)
		print(conn:recv_exactly(7), tostring(srv):match("^<tcp6 listening"))
		local s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
		assert(s6:connect("::1", tonumber(addr:match(":(%d+)$"))))
	`, nil)
	if r.Stdout != "over v6\t<tcp6 listening\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

func TestUnixStreamSockets(t *testing.T) {
	dir, err := os.MkdirTemp("", "np") // short: Unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := luatest.MustRun(t, `
		local srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		assert(srv:bind(PATH))
		assert(srv:listen(5))
		spawn(function()
			local c = socket.socket(socket.AF_UNIX)
			assert(c:connect(PATH))
			c:sendall("over unix\n")
			print(c:recv_until("\n"))
		end)
		local conn = srv:accept()
		local line = conn:recv_until("\n")
		conn:sendall(line:upper() .. "\n")
		print(srv:getsockname() == PATH, tostring(srv):match("^<unix listening"))
	`, map[string]any{"PATH": filepath.Join(dir, "s.sock")})
	if r.Stdout != "true\t<unix listening\nOVER UNIX\n" && r.Stdout != "OVER UNIX\ntrue\t<unix listening\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

// One task's error is reported and ends that task alone.
func TestTaskErrorLeavesOthersRunning(t *testing.T) {
	r := luatest.MustRun(t, `
		local a = spawn(function() sleep(0); error("boom") end)
		local b = spawn(function()
			while a:status() == "waiting: yield" or a:status() == "ready" do sleep(0.001) end
			return "b still ran"
		end)
		print(b:join())
	`, nil)
	if r.Stdout != "b still ran\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
	want := "task 2: <string>:2: boom\nstack traceback:\n\t[G]: in function 'error'\n"
	if !strings.HasPrefix(r.Stderr, want) {
		t.Fatalf("stderr = %q, want prefix %q", r.Stderr, want)
	}
}

// openFDs counts the process's open sockets, after making sure the
// network poller (which keeps its own descriptors) is running. Other
// descriptors come and go with the Go runtime's own work.
func openFDs(t *testing.T) int {
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

// No goroutine or file descriptor outlives the script: tasks, timers,
// accept loops and connections all end with it.
func TestNoGoroutinesRemainAfterScript(t *testing.T) {
	fds := openFDs(t)
	ignore := goleak.IgnoreCurrent() // taken before the script runs
	func() {
		var stdout, stderr luatest.Buffer
		h := luatest.NewHost(t, &stdout, &stderr)
		fn, err := h.L.LoadString(`
			local srv = assert(socket.listen("127.0.0.1:0"))
			spawn(function()
				while true do
					local c = srv:accept()
					spawn(function(conn) conn:recv(1) end, c)
				end
			end)
			clients = {} -- kept: a socket no Lua value refers to is closed by the collector
			for i = 1, 3 do clients[i] = socket.connect(srv:getsockname()) end
			every(0.001, function() end)
			after(100, function() end)
		`)
		if err != nil {
			t.Fatal(err)
		}
		h.Spawn(fn, nil, hostOptions("main"))
		for len(h.Tasks()) < 6 { // main, accept loop, 3 handlers, 2 timers
			runtime.Gosched()
		}
		if err := h.Shutdown(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}()
	goleak.VerifyNone(t, ignore)
	if now := openFDs(t); now != fds {
		t.Fatalf("%d sockets open after the script, %d before", now, fds)
	}
}
