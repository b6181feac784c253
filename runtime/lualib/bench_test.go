package lualib_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/luatest"
)

// BenchmarkRoundTrip measures the cost of blocking calls: two tasks
// exchange one byte each way over loopback, b.N round trips, beside the
// same loop between two goroutines in plain Go.
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("lua", func(b *testing.B) {
		var stdout, stderr luatest.Buffer
		h := luatest.NewHost(b, &stdout, &stderr)
		luatest.SetGlobals(h, map[string]any{"N": b.N})
		fn, err := h.L.LoadString(`
			local srv = assert(socket.listen("127.0.0.1:0"))
			local c = assert(socket.connect(srv:getsockname()))
			local s = assert(srv:accept())
			local echo = spawn(function()
				for _ = 1, N do s:sendall(s:recv(1)) end
			end)
			bench_start()
			for _ = 1, N do
				c:sendall("x")
				c:recv(1)
			end
			echo:join()
		`)
		if err != nil {
			b.Fatal(err)
		}
		h.L.SetGlobal("bench_start", h.L.NewFunction(func(*lua.LState) int { b.ResetTimer(); return 0 }))
		t := h.Spawn(fn, nil, host.SpawnOptions{Name: "bench"})
		<-t.Done()
		b.StopTimer()
		if _, err := t.Result(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("go", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		done := make(chan struct{})
		go func() {
			defer close(done)
			p := make([]byte, 1)
			for i := 0; i < b.N; i++ {
				if _, err := s.Read(p); err != nil {
					return
				}
				s.Write(p)
			}
		}()
		b.ResetTimer()
		p := make([]byte, 1)
		for i := 0; i < b.N; i++ {
			c.Write([]byte("x"))
			if _, err := io.ReadFull(c, p); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	})
}

// BenchmarkLuaLoop measures what the per-instruction context check (task
// cancellation and lock hand-over) costs a CPU-bound loop, beside the
// same loop on a plain gopher-lua state.
func BenchmarkLuaLoop(b *testing.B) {
	const code = `local x = 0 for i = 1, N do x = x + i % 7 end return x`
	b.Run("task", func(b *testing.B) {
		r := luatest.MustRun(b, code, map[string]any{"N": b.N})
		_ = r
	})
	b.Run("plain-gopher-lua", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		L.SetGlobal("N", lua.LNumber(b.N))
		if err := L.DoString(code); err != nil {
			b.Fatal(err)
		}
	})
}

// idleClientsEnv makes the test binary a client process holding idle
// connections (see BenchmarkIdleConnectionMemory).
const idleClientsEnv = "NETPLAY_IDLE_CLIENTS"

func init() {
	addr := os.Getenv(idleClientsEnv)
	if addr == "" {
		return
	}
	// Each line on stdin is a number of connections to open, each echoing
	// one header-framed 32-byte message; "ok" answers it. The connections
	// are held until stdin closes.
	var conns []net.Conn
	frame := []byte(fmt.Sprintf("%-10d%s", 32, strings.Repeat("x", 32)))
	reply := make([]byte, len(frame))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		n, _ := strconv.Atoi(in.Text())
		for i := 0; i < n; i++ {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				_, err = c.Write(frame)
			}
			if err == nil {
				_, err = io.ReadFull(c, reply)
			}
			if err != nil || string(reply) != string(frame) {
				fmt.Println("echo:", err)
				os.Exit(1)
			}
			conns = append(conns, c)
		}
		fmt.Println("ok")
	}
	os.Exit(0)
}

// BenchmarkIdleConnectionMemory measures the server process's resident
// memory per idle connection: the framed echo server (a task per
// connection), 5,000 clients held by another process, each quiet after
// one echo. IDLE_HEAP=FILE also logs stack and heap per connection and
// writes a heap profile of the idle server to FILE.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const conns = 5000
	// One measurement whatever b.N is: it opens 10,000 sockets.
	perConn := idleConnectionMemory(b, conns)
	b.ReportMetric(perConn/1024, "KiB/conn")
}

func idleConnectionMemory(b *testing.B, conns int) float64 {
	var h *host.Host
	addr := startLuaServerWith(b, echoServerLua, func(hh *host.Host) { h = hh })
	before := rss(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleClientsEnv+"="+addr)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	replies := bufio.NewReader(out)
	// Open the connections in batches the accept loop keeps up with, so
	// none is dropped from a full backlog.
	const batch = 250
	for opened := 0; opened < conns; opened += batch {
		fmt.Fprintln(stdin, batch)
		if line, _ := replies.ReadString('\n'); line != "ok\n" {
			b.Fatalf("client process: %q", line)
		}
		for waitingInRecv(h) < opened+batch {
			if ctx.Err() != nil {
				b.Fatalf("only %d of %d connections served", waitingInRecv(h), opened+batch)
			}
			time.Sleep(time.Millisecond) // polling a count for a figure, not a test
		}
	}
	after := rss(b)
	if os.Getenv("IDLE_HEAP") != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.Logf("stack in use %d KiB per conn, heap in use %d KiB per conn, goroutines %d", ms.StackInuse/uint64(conns)/1024, ms.HeapInuse/uint64(conns)/1024, runtime.NumGoroutine())
		buf := make([]byte, 1<<20)
		all := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(all, "\n\n") {
			if strings.Contains(g, "readBody") {
				os.WriteFile(os.Getenv("IDLE_HEAP")+".stack", []byte(g), 0o644)
				b.Logf("an idle task's stack: %s.stack", os.Getenv("IDLE_HEAP"))
				break
			}
		}
	}
	if f := os.Getenv("IDLE_HEAP"); f != "" {
		hf, _ := os.Create(f)
		pprof.WriteHeapProfile(hf)
		hf.Close()
	}
	return float64(after-before) / float64(conns)
}

func waitingInRecv(h *host.Host) int {
	n := 0
	for _, t := range h.Tasks() {
		if t.BlockedOn() == "recv frame" {
			n++
		}
	}
	return n
}

// rss is the process's resident set size in bytes, after a GC.
func rss(b *testing.B) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	b.Skip("no VmRSS")
	return 0
}
