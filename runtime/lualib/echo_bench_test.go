package lualib_test

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
	"netplay/runtime/tracer"
)

// echoServerLua is the header-framed echo written in Lua: a task per
// connection doing f:recv() / f:send(). Its backlog takes the idle-memory
// benchmark's batches of 250 connections.
const echoServerLua = `
	local srv = assert(socket.listen("127.0.0.1:0", 4096))
	while true do
		local conn = srv:accept()
		spawn(function(c)
			local f = frame.wrap(c, frame.header())
			while true do
				local msg = f:recv()
				if not msg then break end
				f:send(msg)
			end
			c:close()
		end, conn)
	end
`

// startLuaServer runs code (which listens once) on a new host and returns
// the address it listens on.
func startLuaServer(b testing.TB, code string) string {
	return startLuaServerWith(b, code, nil)
}

// startLuaServerWith is startLuaServer with setup called on the host
// before code runs (nil: none).
func startLuaServerWith(b testing.TB, code string, setup func(h *host.Host)) string {
	listening := make(chan net.Addr, 1)
	var stdout, stderr luatest.Buffer
	h, err := lualibHost(&stdout, &stderr, func(a net.Addr) { listening <- a })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	if setup != nil {
		setup(h)
	}
	fn, err := h.L.LoadString(code)
	if err != nil {
		b.Fatal(err)
	}
	h.Spawn(fn, nil, host.SpawnOptions{Name: "server"})
	select {
	case a := <-listening:
		return a.String()
	case <-time.After(10 * time.Second):
		b.Fatalf("server did not listen: %s", stderr.String())
	}
	return ""
}

// startGoEchoServer is the same echo in plain Go.
func startGoEchoServer(b *testing.B) string {
	return luatest.ServeTCP(b, goEcho).String()
}

// goEcho echoes header frames on one connection, flushing when no more
// input is buffered.
func goEcho(c net.Conn) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	header := make([]byte, 10)
	for {
		if _, err := io.ReadFull(r, header); err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimRight(string(header), " "))
		if err != nil {
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		w.Write(header)
		w.Write(body)
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

// runEchoClients sends b.N messages of size bytes over conns connections,
// with inFlight messages outstanding on each, and reports messages per
// second.
func runEchoClients(b *testing.B, addr string, conns, inFlight, size int) {
	payload := strings.Repeat("x", size)
	frame := []byte(fmt.Sprintf("%-10d%s", len(payload), payload))
	clients := make([]net.Conn, conns)
	for i := range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	per := (b.N + conns - 1) / conns
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			batch := make([]byte, 0, len(frame)*inFlight)
			reply := make([]byte, len(frame)*inFlight)
			for sent := 0; sent < per; sent += inFlight {
				k := min(inFlight, per-sent)
				batch = batch[:0]
				for j := 0; j < k; j++ {
					batch = append(batch, frame...)
				}
				if _, err := c.Write(batch); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, reply[:len(frame)*k]); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(per*conns)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkHeaderEcho: the tutorial's header framing echoed by a Lua task
// per connection, beside the same echo in plain Go, 32-byte payloads (and
// 4 KiB ones with 16 connections pipelining 64 frames each).
func BenchmarkHeaderEcho(b *testing.B) {
	for _, inFlight := range []int{1, 64} {
		for _, conns := range []int{1, 16} {
			name := fmt.Sprintf("conns=%d/inflight=%d", conns, inFlight)
			b.Run("lua/"+name, func(b *testing.B) {
				runEchoClients(b, startLuaServer(b, echoServerLua), conns, inFlight, 32)
			})
			b.Run("go/"+name, func(b *testing.B) {
				runEchoClients(b, startGoEchoServer(b), conns, inFlight, 32)
			})
		}
	}
	b.Run("lua/conns=16/inflight=64/size=4096", func(b *testing.B) {
		runEchoClients(b, startLuaServer(b, echoServerLua), 16, 64, 4096)
	})
	b.Run("go/conns=16/inflight=64/size=4096", func(b *testing.B) {
		runEchoClients(b, startGoEchoServer(b), 16, 64, 4096)
	})
}

// BenchmarkHeaderEchoTraced is what the wire trace costs: the Lua echo of
// BenchmarkHeaderEcho with the trace off, as text lines to a file
// (--trace --trace-file F) and as JSON Lines to a file (--trace=json
// --trace-file F), in one run, so the three meet the same machine.
// trace-B/msg is how many bytes of trace each echoed message wrote.
//
//	go test -run '^$' -bench HeaderEchoTraced ./runtime/lualib/
func BenchmarkHeaderEchoTraced(b *testing.B) {
	for _, load := range []struct{ conns, inFlight int }{{1, 1}, {16, 64}} {
		for _, format := range []lualib.TraceFormat{"", "text", "json"} {
			name := fmt.Sprintf("conns=%d/inflight=%d/trace=%s", load.conns, load.inFlight, cmp.Or(string(format), "off"))
			b.Run(name, func(b *testing.B) {
				var file *os.File
				var buffered *tracer.FileWriter
				addr := startLuaServerWith(b, echoServerLua, func(h *host.Host) {
					if format == "" {
						return
					}
					f, err := os.Create(filepath.Join(b.TempDir(), "trace"))
					if err != nil {
						b.Fatal(err)
					}
					// As --trace-file does: buffered on its way to the file.
					buffered = tracer.NewFileWriter(f, f)
					lualib.SetTracing(h, format, buffered, false, nil)
					b.Cleanup(func() {
						h.SetTraceSink("trace", nil, nil)
						buffered.Close()
					})
					file = f
				})
				runEchoClients(b, addr, load.conns, load.inFlight, 32)
				if file != nil {
					buffered.Flush()
					info, err := file.Stat()
					if err != nil {
						b.Fatal(err)
					}
					if info.Size() == 0 {
						b.Fatal("nothing was traced")
					}
					b.ReportMetric(float64(info.Size())/float64(b.N), "trace-B/msg")
				}
			})
		}
	}
}

// BenchmarkFairness: 16 connections pipelining 64 header frames of 32
// bytes to the Lua echo server, beside one connection that pipelines as
// fast but reads its replies slowly (1 KiB every millisecond), so the
// server's writes to it wait. The fast connections' batch times should
// stay close to their median: the interpreter goes round the tasks, and
// a task whose peer does not read waits outside it. Reports the median,
// p99 and worst batch time of the fast connections and worst/median,
// after each has done 20 batches.
func BenchmarkFairness(b *testing.B) {
	addr := startLuaServer(b, echoServerLua)
	const fast, inFlight, size = 16, 64, 32
	const warmupBatches = 20 // per connection, not counted: connecting, buffers growing
	frame := []byte(fmt.Sprintf("%-10d%s", size, strings.Repeat("x", size)))
	batch := bytes.Repeat(frame, inFlight)
	done := make(chan struct{})
	var slowWG sync.WaitGroup
	slowWG.Add(1)
	go func() { // the slow reader
		defer slowWG.Done()
		if os.Getenv("FAIR_NOSLOW") != "" {
			return
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		go func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.Write(batch); err != nil {
					return
				}
			}
		}()
		buf := make([]byte, 1024)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	per := max(1, b.N/(fast*inFlight))
	times := make([][]time.Duration, fast)
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range fast {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			reply := make([]byte, len(batch))
			for j := range warmupBatches + per {
				start := time.Now()
				if _, err := c.Write(batch); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, reply); err != nil {
					b.Error(err)
					return
				}
				if j >= warmupBatches {
					times[i] = append(times[i], time.Since(start))
				}
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	close(done)
	slowWG.Wait()
	var all []time.Duration
	for i, t := range times {
		if os.Getenv("FAIR_DEBUG") != "" {
			for j, d := range t {
				if d > 20*time.Millisecond {
					b.Logf("conn %d batch %d/%d: %v", i, j, len(t), d)
				}
			}
		}
		all = append(all, t...)
	}
	if len(all) == 0 {
		b.Fatal("no batch completed")
	}
	slices.Sort(all)
	median, p99, worst := all[len(all)/2], all[len(all)*99/100], all[len(all)-1]
	b.ReportMetric(float64(median.Microseconds()), "median-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
	b.ReportMetric(float64(worst)/float64(median), "worst/median")
}
