package lualib_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netplay/runtime/host"
	"netplay/runtime/luatest"
)

// echoServerLua is the header-framed echo written in Lua: a task per
// connection doing f:recv() / f:send().
const echoServerLua = `
	local srv = assert(socket.listen("127.0.0.1:0"))
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
func startLuaServer(b *testing.B, code string) string {
	listening := make(chan net.Addr, 1)
	var stdout, stderr luatest.Buffer
	h, err := lualibHost(&stdout, &stderr, func(a net.Addr) { listening <- a })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
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

// runEchoClients sends b.N 32-byte messages over conns connections, with
// inFlight messages outstanding on each, and reports messages per second.
func runEchoClients(b *testing.B, addr string, conns, inFlight int) {
	payload := strings.Repeat("x", 32)
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
// per connection, beside the same echo in plain Go, 32-byte payloads.
func BenchmarkHeaderEcho(b *testing.B) {
	for _, inFlight := range []int{1, 64} {
		for _, conns := range []int{1, 16} {
			name := fmt.Sprintf("conns=%d/inflight=%d", conns, inFlight)
			b.Run("lua/"+name, func(b *testing.B) {
				runEchoClients(b, startLuaServer(b, echoServerLua), conns, inFlight)
			})
			b.Run("go/"+name, func(b *testing.B) {
				runEchoClients(b, startGoEchoServer(b), conns, inFlight)
			})
		}
	}
}
