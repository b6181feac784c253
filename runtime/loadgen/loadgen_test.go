package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/framing"
	"netplay/runtime/luatest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every run in these tests.
const testTimeout = 20 * time.Second

// serveFramed runs a server on 127.0.0.1 that answers every frame with
// reply(n, msg), n counting the frames of all connections from 1; a nil
// reply closes the connection. Replies are written when no whole request
// is left in what was read, as a buffered server does.
func serveFramed(t *testing.T, c framing.Codec, reply func(n int64, msg []byte) []byte) string {
	t.Helper()
	var frames atomic.Int64
	addr := luatest.ServeTCP(t, func(cn net.Conn) {
		cn.SetDeadline(time.Now().Add(testTimeout))
		buf := make([]byte, 0, 64<<10)
		var out []byte
		chunk := make([]byte, 64<<10)
		for {
			n, err := cn.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:n]...)
			for {
				used, msg, err := c.Decode(buf)
				if err != nil {
					return
				}
				if used == 0 {
					break
				}
				r := reply(frames.Add(1), msg)
				if r == nil {
					cn.Write(out)
					return
				}
				if out, err = c.Encode(out, r); err != nil {
					t.Errorf("server cannot frame its reply: %v", err)
					return
				}
				buf = buf[used:]
			}
			buf = append(buf[:0:0], buf...)
			if _, err := cn.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	})
	return addr.String()
}

func echo(_ int64, msg []byte) []byte { return msg }

func mustCodec(t *testing.T, name string) framing.Codec {
	t.Helper()
	c, err := ParseCodec(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runFor runs cfg, bounded in time.
func runFor(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted {
		t.Fatalf("run still going after %v", testTimeout)
	}
	return res
}

// An exact number of messages, every reply checked, for every codec and
// with one frame or 64 in flight.
func TestCountIsExact(t *testing.T) {
	for _, codec := range []string{"header", "u16", "varint", "line", "netstring", "fixed:32"} {
		for _, pipeline := range []int{1, 64} {
			t.Run(codec+"/pipeline="+itoa(pipeline), func(t *testing.T) {
				c := mustCodec(t, codec)
				addr := serveFramed(t, c, echo)
				const count = 1001 // not a multiple of conns or pipeline
				res := runFor(t, Config{Addr: addr, Codec: c, Size: 32, Conns: 4, Pipeline: pipeline, Count: count})
				frame, _ := c.Encode(nil, make([]byte, 32))
				if res.Messages != count || res.BytesSent != count*int64(len(frame)) || res.BytesReceived != res.BytesSent {
					t.Fatalf("messages %d, bytes %d/%d; want %d and %d", res.Messages, res.BytesSent, res.BytesReceived, count, count*len(frame))
				}
				if !res.OK || res.Errors != 0 || res.Mismatches != 0 {
					t.Fatalf("not clean: %+v", res)
				}
				if res.ElapsedS <= 0 || res.MsgsPerSec <= 0 || res.P50us <= 0 || res.MaxUs < res.P99us {
					t.Fatalf("figures: %+v", res)
				}
			})
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// A warm-up is not counted: with a count, exactly count messages are
// still counted after it.
func TestWarmupNotCounted(t *testing.T) {
	c := mustCodec(t, "header")
	var served atomic.Int64
	addr := serveFramed(t, c, func(n int64, msg []byte) []byte { served.Add(1); return msg })
	res := runFor(t, Config{Addr: addr, Codec: c, Size: 8, Conns: 2, Pipeline: 1, Count: 200, Warmup: 50 * time.Millisecond})
	if res.Messages != 200 || !res.OK {
		t.Fatalf("%+v", res)
	}
	if served.Load() <= 200 {
		t.Fatalf("the server saw %d messages: no warm-up happened", served.Load())
	}
}

// A duration run ends by itself and counts what happened in the window.
func TestDuration(t *testing.T) {
	c := mustCodec(t, "u32")
	addr := serveFramed(t, c, echo)
	res := runFor(t, Config{Addr: addr, Codec: c, Size: 100, Conns: 3, Pipeline: 8, Duration: 200 * time.Millisecond})
	if !res.OK || res.Messages == 0 || res.Messages%8 != 0 || res.LatencyPer != "batch" {
		t.Fatalf("%+v", res)
	}
	if res.ElapsedS < 0.2 || res.ElapsedS > 5 {
		t.Fatalf("window %vs", res.ElapsedS)
	}
}

// One flipped byte in the 100th reply is one mismatch, described.
func TestCorruptReplyIsCaught(t *testing.T) {
	for _, pipeline := range []int{1, 64} {
		c := mustCodec(t, "header")
		addr := serveFramed(t, c, func(n int64, msg []byte) []byte {
			if n == 100 {
				msg = append([]byte(nil), msg...)
				msg[20] ^= 0x01
			}
			return msg
		})
		res := runFor(t, Config{Addr: addr, Codec: c, Size: 32, Conns: 1, Pipeline: pipeline, Count: 500})
		if res.Mismatches != 1 || res.OK || res.Errors != 0 || res.Messages != 500 {
			t.Fatalf("pipeline %d: %+v", pipeline, res)
		}
		if want := "conn 1 seq 100: byte 20 of 32 is"; len(res.MismatchSamples) != 1 || !strings.HasPrefix(res.MismatchSamples[0], want) {
			t.Fatalf("pipeline %d: samples %q, want %q...", pipeline, res.MismatchSamples, want)
		}
	}
}

// Replies out of order, short or from the wrong message are each named.
func TestMismatchKinds(t *testing.T) {
	c := mustCodec(t, "u16")
	var prev []byte
	addr := serveFramed(t, c, func(n int64, msg []byte) []byte {
		defer func() { prev = append(prev[:0], msg...) }()
		switch n {
		case 10:
			return append([]byte(nil), prev...) // the previous reply again
		case 20:
			return msg[:31]
		}
		return msg
	})
	res := runFor(t, Config{Addr: addr, Codec: c, Size: 32, Conns: 1, Pipeline: 1, Count: 30})
	want := []string{
		"conn 1 seq 10: reply carries seq 9: reordered, lost or duplicated",
		"conn 1 seq 20: reply is 31 bytes, sent 32",
	}
	if res.Mismatches != 2 || len(res.MismatchSamples) != 2 {
		t.Fatalf("%+v", res)
	}
	for i, w := range want {
		if !strings.HasPrefix(res.MismatchSamples[i], w) {
			t.Errorf("sample %q, want %q...", res.MismatchSamples[i], w)
		}
	}
}

// A server that closes every connection after 50 replies: errors, and
// a message that says so.
func TestServerClosing(t *testing.T) {
	c := mustCodec(t, "header")
	addr := luatest.ServeTCP(t, func(cn net.Conn) {
		cn.SetDeadline(time.Now().Add(testTimeout))
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 4096)
		replies := 0
		for replies < 50 {
			n, err := cn.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:n]...)
			for replies < 50 {
				used, msg, _ := c.Decode(buf)
				if used == 0 {
					break
				}
				out, _ := c.Encode(nil, msg)
				cn.Write(out)
				buf = buf[used:]
				replies++
			}
		}
		// Close our side, then read what still comes until the client
		// leaves: closing with a request unread would send a reset
		// instead of the end of the stream, depending on timing.
		cn.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, cn)
	}).String()
	res := runFor(t, Config{Addr: addr, Codec: c, Size: 32, Conns: 2, Pipeline: 1, Count: 1000})
	if res.OK || res.Errors != 2 || res.ServerClosed != 2 || res.Messages != 100 {
		t.Fatalf("%+v", res)
	}
	if want := "the server closed the connection after 50 replies (2 connections)"; len(res.ErrorSamples) != 1 || !strings.HasSuffix(res.ErrorSamples[0], want) {
		t.Fatalf("error samples %q, want ...%q", res.ErrorSamples, want)
	}
}

// Nothing listening: every connection fails to connect, and the run ends.
func TestConnectFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res := runFor(t, Config{Addr: addr, Codec: mustCodec(t, "header"), Size: 32, Conns: 3, Pipeline: 1, Duration: time.Minute})
	if res.OK || res.ConnectErrors != 3 || res.Errors != 3 || res.Messages != 0 {
		t.Fatalf("%+v", res)
	}
	if want := "conn 1: connect: connection refused (3 connections)"; len(res.ErrorSamples) != 1 || res.ErrorSamples[0] != want {
		t.Fatalf("%q, want %q", res.ErrorSamples, want)
	}
}

// A server that never answers: a timeout, not a hang.
func TestTimeout(t *testing.T) {
	stop := make(chan struct{})
	addr := luatest.ServeTCP(t, func(cn net.Conn) { <-stop })
	defer close(stop)
	c := mustCodec(t, "header")
	res := runFor(t, Config{Addr: addr.String(), Codec: c, Size: 32, Conns: 1, Pipeline: 1, Count: 1, Timeout: 100 * time.Millisecond})
	if res.Timeouts != 1 || res.Errors != 1 || res.OK {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.ErrorSamples[0], "no reply within 100ms") {
		t.Fatalf("%q", res.ErrorSamples)
	}
}

// A rate caps the messages per second.
func TestRate(t *testing.T) {
	c := mustCodec(t, "header")
	addr := serveFramed(t, c, echo)
	start := time.Now()
	res := runFor(t, Config{Addr: addr, Codec: c, Size: 16, Conns: 2, Pipeline: 1, Count: 40, Rate: 200})
	if !res.OK || res.Messages != 40 {
		t.Fatalf("%+v", res)
	}
	// 40 messages at 200/s take about 0.2 s; well under that means no pacing
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("40 messages at 200/s took only %v", took)
	}
}

// Cancelling the context stops a run at once and says so.
func TestCancel(t *testing.T) {
	c := mustCodec(t, "header")
	addr := serveFramed(t, c, echo)
	ctx, cancel := context.WithCancel(context.Background())
	progress := make(chan Progress, 100)
	done := make(chan *Result, 1)
	go func() {
		res, _ := Run(ctx, Config{Addr: addr, Codec: c, Size: 32, Conns: 2, Pipeline: 4, Duration: time.Hour,
			Progress: func(p Progress) {
				select {
				case progress <- p:
				default:
				}
			}, ProgressEvery: 10 * time.Millisecond})
		done <- res
	}()
	select {
	case p := <-progress:
		if p.Warmup || p.Messages < 0 {
			t.Errorf("progress %+v", p)
		}
	case <-time.After(testTimeout):
		t.Fatal("no progress")
	}
	cancel()
	select {
	case res := <-done:
		if !res.Interrupted || res.OK || res.Errors != 0 || res.Mismatches != 0 {
			t.Fatalf("%+v", res)
		}
	case <-time.After(testTimeout):
		t.Fatal("cancel did not stop the run")
	}
}

func TestConfigErrors(t *testing.T) {
	c := mustCodec(t, "header:2")
	for _, cfg := range []Config{
		{Addr: "x:1", Codec: c, Size: 32, Conns: 0, Pipeline: 1, Count: 1},
		{Addr: "x:1", Codec: c, Size: 32, Conns: 1, Pipeline: 0, Count: 1},
		{Addr: "x:1", Codec: c, Size: 32, Conns: 1, Pipeline: 1},
		{Addr: "x:1", Codec: c, Size: 100, Conns: 1, Pipeline: 1, Count: 1}, // 3 digits in a 2-byte header
		{Addr: "x:1", Codec: mustCodec(t, "u32"), Size: 1000, Conns: 1000, Pipeline: 2000, Count: 1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestParseCodec(t *testing.T) {
	for name, want := range map[string]string{
		"header": "header(10)", "header:4": "header(4)", "u8": "u8", "u16": "u16be", "u32le": "u32le",
		"u64": "u64be", "varint": "varint", "line": `line("\n")`, "netstring": "netstring", "fixed:8": "fixed(8)",
	} {
		c, err := ParseCodec(name, 0)
		if err != nil || c.Name() != want {
			t.Errorf("%s: %v %v, want %s", name, c, err, want)
		}
	}
	for _, bad := range []string{"", "nope", "fixed", "fixed:x", "fixed:0", "u16:2", "header:0", "line:x"} {
		if _, err := ParseCodec(bad, 0); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:80", "127.9.9.9:1", "localhost:5555", "[::1]:80", "10.1.2.3:22",
		"172.16.0.1:1", "172.31.255.255:1", "192.168.1.1:1", "[fd00::1]:1", "[::ffff:127.0.0.1]:1"} {
		if err := CheckAddress(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, remote := range []string{"8.8.8.8:53", "172.32.0.1:1", "[2001:db8::1]:1", "example.com:80", "169.254.1.1:1", "0.0.0.0:1"} {
		if err := CheckAddress(remote); !errors.Is(err, ErrRemote) {
			t.Errorf("%s: %v, want ErrRemote", remote, err)
		}
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:x", ":"} {
		if err := CheckAddress(bad); err == nil || errors.Is(err, ErrRemote) {
			t.Errorf("%s: %v, want a bad address", bad, err)
		}
	}
}

// The engine does not allocate per message: a batch, sent, read and
// checked, against a server that copies bytes back (an echo for any
// codec), allocates nothing.
func TestNoAllocationPerMessage(t *testing.T) {
	if raceEnabled {
		t.Skip("-race changes allocation counts")
	}
	addr := luatest.ServeTCP(t, func(cn net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			n, err := cn.Read(buf)
			if err != nil {
				return
			}
			if _, err := cn.Write(buf[:n]); err != nil {
				return
			}
		}
	})
	for _, pipeline := range []int{1, 16} {
		cfg := Config{Addr: addr.String(), Codec: mustCodec(t, "header"), Size: 32, Conns: 1, Pipeline: pipeline, Count: 1 << 40}
		if err := cfg.check(); err != nil {
			t.Fatal(err)
		}
		r := &run{cfg: &cfg, stop: make(chan struct{})}
		r.phase.Store(phaseMeasure)
		cn, err := net.Dial("tcp", cfg.Addr)
		if err != nil {
			t.Fatal(err)
		}
		w, err := newWorker(r, 1, cn)
		if err != nil {
			t.Fatal(err)
		}
		if pipeline > 1 {
			w.wq, w.wres, w.wend = make(chan []byte), make(chan error, 1), make(chan struct{})
			go w.writer()
		}
		w.quota = cfg.Count
		allocs := testing.AllocsPerRun(200, func() {
			if !w.batch(pipeline, true) {
				t.Fatal("batch failed")
			}
		})
		w.close()
		if allocs != 0 || w.msgs != int64(201*pipeline) || r.mismatches.Load() != 0 {
			t.Fatalf("pipeline %d: %v allocations a batch; %d messages, %d mismatches", pipeline, allocs, w.msgs, r.mismatches.Load())
		}
	}
}
