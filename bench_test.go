package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"netplay/runtime/loadgen"
	"netplay/runtime/luatest"
)

// serveFrames runs a server on 127.0.0.1 that answers every frame with
// reply(n, msg), n counting the frames of all connections from 1; a nil
// reply closes the connection (after sending what is pending). Replies
// are written once no whole request is left in what was read.
func serveFrames(t *testing.T, codec string, reply func(n int64, msg []byte) []byte) string {
	t.Helper()
	c, err := loadgen.ParseCodec(codec, 0)
	if err != nil {
		t.Fatal(err)
	}
	var frames atomic.Int64
	return luatest.ServeTCP(t, func(cn net.Conn) {
		cn.SetDeadline(time.Now().Add(testTimeout))
		var in, out []byte
		chunk := make([]byte, 64<<10)
		for {
			n, err := cn.Read(chunk)
			if err != nil {
				return
			}
			in = append(in, chunk[:n]...)
			for {
				used, msg, err := c.Decode(in)
				if err != nil || used == 0 {
					break
				}
				r := reply(frames.Add(1), msg)
				if r == nil {
					cn.Write(out)
					return
				}
				out, _ = c.Encode(out, r)
				in = in[used:]
			}
			in = append([]byte(nil), in...)
			if _, err := cn.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}).String()
}

func echoFrame(_ int64, msg []byte) []byte { return msg }

// benchJSON runs netplay bench with --json and decodes what it printed.
func benchJSON(t *testing.T, args ...string) (result, loadgen.Result) {
	t.Helper()
	r := runCLI(t, append([]string{"bench", "--json"}, args...)...)
	var res loadgen.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("netplay bench %q: %v\nstdout %q\nstderr %q", args, err, r.stdout, r.stderr)
	}
	return r, res
}

// Exact counts and bytes, every reply checked, for each codec, one frame
// or 64 in flight.
func TestBenchCountsEveryCodec(t *testing.T) {
	for _, codec := range []string{"header", "u16", "varint", "line", "netstring", "fixed:32"} {
		c, err := loadgen.ParseCodec(codec, 0)
		if err != nil {
			t.Fatal(err)
		}
		frame, _ := c.Encode(nil, make([]byte, 32))
		for _, pipeline := range []string{"1", "64"} {
			t.Run(codec+"/pipeline="+pipeline, func(t *testing.T) {
				addr := serveFrames(t, codec, echoFrame)
				r, res := benchJSON(t, addr, "--codec", codec, "--conns", "3", "--pipeline", pipeline, "--count", "1000")
				if r.status != 0 || r.stderr != "" {
					t.Fatalf("status %d, stderr %q", r.status, r.stderr)
				}
				want := int64(1000 * len(frame))
				if res.Messages != 1000 || res.BytesSent != want || res.BytesReceived != want || res.Mismatches != 0 || res.Errors != 0 || !res.OK {
					t.Fatalf("messages %d, bytes %d/%d (want %d), mismatches %d, errors %d", res.Messages, res.BytesSent, res.BytesReceived, want, res.Mismatches, res.Errors)
				}
			})
		}
	}
}

// The report for a person: every figure, and exit status 0.
func TestBenchReport(t *testing.T) {
	addr := serveFrames(t, "header", echoFrame)
	r := runCLI(t, "bench", addr, "--count", "500", "--conns", "2")
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("status %d, stderr %q", r.status, r.stderr)
	}
	for _, want := range []string{
		"netplay bench " + addr + ": header(10), 32-byte payloads, 2 connections, pipeline 1, 500 messages\n",
		"\n  messages    500 in ", " msgs/s\n",
		"\n  bytes       21,000 bytes sent, 21,000 bytes received: ",
		"\n  latency     per message: p50 ", "\n  errors      0\n  mismatches  0\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}

// One flipped byte in the 100th reply: a mismatch, named, and status 1.
func TestBenchCatchesACorruptReply(t *testing.T) {
	for _, pipeline := range []string{"1", "64"} {
		addr := serveFrames(t, "header", func(n int64, msg []byte) []byte {
			if n == 100 {
				msg = append([]byte(nil), msg...)
				msg[25] ^= 0x20
			}
			return msg
		})
		r := runCLI(t, "bench", addr, "--conns", "1", "--pipeline", pipeline, "--count", "300")
		if r.status != 1 {
			t.Fatalf("pipeline %s: status %d, want 1\n%s", pipeline, r.status, r.stdout)
		}
		if !strings.Contains(r.stdout, "  mismatches  1\n              conn 1 seq 100: byte 25 of 32 is ") {
			t.Errorf("pipeline %s: the report does not name the mismatch:\n%s", pipeline, r.stdout)
		}
		if r.stderr != "netplay bench: 0 errors, 1 mismatch\n" {
			t.Errorf("pipeline %s: stderr %q", pipeline, r.stderr)
		}
	}
}

// A server that hangs up mid-run: errors, a message saying so, status 1.
func TestBenchServerClosesMidRun(t *testing.T) {
	addr := serveFrames(t, "header", func(n int64, msg []byte) []byte {
		if n > 50 {
			return nil
		}
		return msg
	})
	r, res := benchJSON(t, addr, "--conns", "1", "--duration", "10s")
	if r.status != 1 || res.Errors != 1 || res.ServerClosed != 1 || res.OK {
		t.Fatalf("status %d, %+v", r.status, res)
	}
	if want := "conn 1: the server closed the connection after 50 replies"; len(res.ErrorSamples) != 1 || res.ErrorSamples[0] != want {
		t.Fatalf("error samples %q, want %q", res.ErrorSamples, want)
	}
	if res.ElapsedS > 5 {
		t.Errorf("the run went on for %vs after its only connection ended", res.ElapsedS)
	}
	r = runCLI(t, "bench", addr, "--conns", "1", "--count", "100")
	if r.status != 1 || !strings.Contains(r.stdout, "  errors      1 (1 closed by the server)\n              conn 1: the server closed the connection after ") {
		t.Fatalf("status %d\n%s", r.status, r.stdout)
	}
}

// --json: one object with every figure, each of its type.
func TestBenchJSONFields(t *testing.T) {
	addr := serveFrames(t, "u32", echoFrame)
	r := runCLI(t, "bench", addr, "--codec", "u32", "--json", "--count", "200", "--pipeline", "8", "--size", "100")
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	var fields map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&fields); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value: %q", r.stdout)
	}
	types := map[string]string{
		"addr": "string", "codec": "string", "size": "number", "conns": "number", "pipeline": "number",
		"rate": "number", "count": "number", "script": "string", "warmup_s": "number", "duration_s": "number",
		"elapsed_s": "number", "messages": "number", "bytes_sent": "number", "bytes_received": "number",
		"msgs_per_sec": "number", "mb_per_sec": "number", "latency_per": "string",
		"p50_us": "number", "p90_us": "number", "p99_us": "number", "max_us": "number",
		"errors": "number", "connect_errors": "number", "server_closed": "number", "timeouts": "number",
		"mismatches": "number", "error_samples": "array", "mismatch_samples": "array",
		"client_cpu_pct": "number", "client_cores": "number", "interrupted": "bool", "ok": "bool",
	}
	for name, want := range types {
		v, ok := fields[name]
		if !ok {
			t.Errorf("no field %s", name)
			continue
		}
		var got string
		switch v.(type) {
		case string:
			got = "string"
		case float64:
			got = "number"
		case bool:
			got = "bool"
		case []any:
			got = "array"
		}
		if got != want {
			t.Errorf("%s is %T, want a %s", name, v, want)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range fields {
		if _, ok := types[name]; !ok {
			t.Errorf("field %s is not checked here", name)
		}
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("field %s is not documented in README.md", name)
		}
	}
	want := map[string]any{"codec": "u32be", "size": 100.0, "pipeline": 8.0, "messages": 200.0, "bytes_sent": 20800.0,
		"latency_per": "batch", "ok": true, "mismatches": 0.0, "errors": 0.0}
	for name, v := range want {
		if fields[name] != v {
			t.Errorf("%s = %v, want %v", name, fields[name], v)
		}
	}
	if fields["msgs_per_sec"].(float64) <= 0 || fields["p99_us"].(float64) < fields["p50_us"].(float64) {
		t.Errorf("figures: %v", fields)
	}
}

// The live progress line goes to stderr when it is a terminal, and only then.
func TestBenchProgressOnlyOnATerminal(t *testing.T) {
	addr := serveFrames(t, "header", echoFrame)
	args := []string{"bench", addr, "--conns", "2", "--rate", "2000", "--duration", "0.7s"}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	shown := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once tty is closed
		shown <- string(b)
	}()
	var out luatest.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	status := Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: tty})
	tty.Close()
	var terminal string
	select {
	case terminal = <-shown:
	case <-time.After(testTimeout):
		t.Fatal("the pty reader did not end")
	}
	ptmx.Close()
	if status != 0 {
		t.Fatalf("on a terminal: status %d\n%s", status, out.String())
	}
	if !strings.Contains(terminal, "\r") || !strings.Contains(terminal, " msgs/s ") || !strings.Contains(terminal, "\x1b[K") {
		t.Errorf("no progress line on the terminal: %q", terminal)
	}
	if !strings.HasSuffix(terminal, "\r\x1b[K") {
		t.Errorf("the progress line is not cleared at the end: %q", terminal)
	}
	if strings.Contains(out.String(), "\r") {
		t.Errorf("progress on stdout: %q", out.String())
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	piped := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		piped <- string(b)
	}()
	status = Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: pw})
	pw.Close()
	if got := <-piped; status != 0 || got != "" {
		t.Errorf("on a pipe: status %d, stderr %q", status, got)
	}
	pr.Close()
}

// --script: a line protocol, "ping N" answered by "pong N".
func TestBenchScript(t *testing.T) {
	pong := func(n int64, msg []byte) []byte {
		seq, ok := strings.CutPrefix(string(msg), "ping ")
		if !ok {
			return []byte("error: expected ping N")
		}
		if n == 77 { // one wrong answer
			return []byte("pong 0")
		}
		return []byte("pong " + seq)
	}
	addr := serveFrames(t, "line", pong)
	script := filepath.Join("testdata", "bench", "pingpong.lua")
	r, res := benchJSON(t, addr, "--codec", "line", "--script", script, "--count", "300", "--conns", "2", "--pipeline", "4")
	if r.status != 1 || res.Messages != 300 || res.Mismatches != 1 || res.Errors != 0 || res.Script != script {
		t.Fatalf("status %d, %+v", r.status, res)
	}
	if s := res.MismatchSamples; len(s) != 1 || !strings.Contains(s[0], `want pong `) || !strings.Contains(s[0], `reply "pong 0"`) {
		t.Fatalf("mismatch samples %q", s)
	}

	// a server that is right every time
	addr = serveFrames(t, "line", func(n int64, msg []byte) []byte { return pong(0, msg) })
	r, res = benchJSON(t, addr, "--codec", "line", "--script", script, "--count", "300", "--conns", "2")
	if r.status != 0 || res.Messages != 300 || res.Mismatches != 0 || !res.OK {
		t.Fatalf("status %d, %+v", r.status, res)
	}
	wantBytes := int64(0)
	for seq := 1; seq <= 150; seq++ {
		wantBytes += 2 * int64(len("ping \n")+len(strconv.Itoa(seq)))
	}
	if res.BytesSent != wantBytes || res.BytesReceived != wantBytes {
		t.Errorf("bytes %d/%d, want %d", res.BytesSent, res.BytesReceived, wantBytes)
	}

	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(src), 0o644)
		return p
	}
	// check alone: the requests are the generated payloads
	onlyCheck := write("check.lua", "function check(req, reply, conn, seq)\n  return reply == req and #req == 32 and conn >= 1 and seq >= 1, 'no echo'\nend\n")
	echoAddr := serveFrames(t, "header", echoFrame)
	if r, res := benchJSON(t, echoAddr, "--script", onlyCheck, "--count", "100"); r.status != 0 || res.Mismatches != 0 || res.Messages != 100 {
		t.Fatalf("check only: status %d, %+v", r.status, res)
	}
	// a script error is an error, named
	failing := write("failing.lua", "function request(conn, seq)\n  if seq == 5 then error('boom') end\n  return 'x'\nend\n")
	if r, res := benchJSON(t, echoAddr, "--script", failing, "--count", "100", "--conns", "1"); r.status != 1 || res.Errors != 1 || !strings.Contains(res.ErrorSamples[0], "boom") {
		t.Fatalf("failing script: status %d, %+v", r.status, res)
	}
	for _, c := range []struct {
		name, src, stderr string
		status            int
	}{
		{"empty.lua", "x = 1\n", "defines neither request", 1},
		{"syntax.lua", "function (\n", "syntax.lua", 1},
		{"nosuch.lua", "", "no such file", 2},
	} {
		path := filepath.Join(dir, c.name)
		if c.src != "" {
			write(c.name, c.src)
		}
		r := runCLI(t, "bench", echoAddr, "--script", path, "--count", "1")
		if r.status != c.status || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%s: status %d, stderr %q; want %d and %q", c.name, r.status, r.stderr, c.status, c.stderr)
		}
	}
}

// The bundled servers work with netplay bench: the reference echo server
// and the ping/pong server with the example script.
func TestBenchAgainstBundledServers(t *testing.T) {
	srv := startServer(t, "run", "bench/echo_server", "127.0.0.1:0")
	if r, res := benchJSON(t, srv.addr.String(), "--count", "2000", "--conns", "4", "--pipeline", "16"); r.status != 0 || res.Messages != 2000 || !res.OK {
		t.Fatalf("echo_server: status %d %+v\n%s", r.status, res, r.stderr)
	}
	srv = startServer(t, "run", "bench/pingpong_server", "127.0.0.1:0")
	script := filepath.Join("testdata", "bench", "pingpong.lua")
	if r, res := benchJSON(t, srv.addr.String(), "--codec", "line", "--script", script, "--count", "500", "--conns", "2"); r.status != 0 || res.Messages != 500 || !res.OK {
		t.Fatalf("pingpong_server: status %d %+v\n%s", r.status, res, r.stderr)
	}
}

// Only loopback and private addresses, unless --allow-remote.
func TestBenchAddressPolicy(t *testing.T) {
	for _, addr := range []string{"8.8.8.8:53", "[2001:db8::1]:80", "example.com:80", "0.0.0.0:1"} {
		r := runCLI(t, "bench", addr, "--count", "1", "--timeout", "1ms")
		if r.status != 2 || !strings.Contains(r.stderr, "--allow-remote") || r.stdout != "" {
			t.Errorf("%s: status %d, stderr %q, stdout %q", addr, r.status, r.stderr, r.stdout)
		}
	}
	// 0.0.0.0 is not a test address, yet Linux dials it on this host: it
	// shows --allow-remote without any packet leaving the machine.
	addr := serveFrames(t, "header", echoFrame)
	_, port, _ := net.SplitHostPort(addr)
	r := runCLI(t, "bench", "0.0.0.0:"+port, "--allow-remote", "--count", "10")
	if r.status != 0 || !strings.HasPrefix(r.stderr, "netplay bench: warning: 0.0.0.0:"+port+" is not a loopback or private address") {
		t.Fatalf("--allow-remote: status %d, stderr %q", r.status, r.stderr)
	}
	for _, local := range []string{port, "localhost:" + port, "127.0.0.1:" + port} {
		if r := runCLI(t, "bench", local, "--count", "10"); r.status != 0 || r.stderr != "" {
			t.Errorf("%s: status %d, stderr %q", local, r.status, r.stderr)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	r := runCLI(t, "bench", "--help")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "usage: netplay bench ADDR [flags]") || !strings.Contains(r.stdout, "--pipeline N") {
		t.Fatalf("--help: %d %q", r.status, r.stdout)
	}
	if r := runCLI(t, "help"); !strings.Contains(r.stdout, "netplay bench ADDR [flags]") {
		t.Errorf("netplay help does not list bench:\n%s", r.stdout)
	}
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{nil, "bench needs an address"},
		{[]string{"1234", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"1234", "5678"}, "bench takes one address"},
		{[]string{"1234", "--count", "5", "--duration", "1s"}, "--count and --duration"},
		{[]string{"1234", "--codec", "fixed:8", "--size", "32"}, "frames 8-byte messages, --size is 32"},
		{[]string{"1234", "--codec", "nope"}, `unknown codec "nope"`},
		{[]string{"1234", "--conns", "0"}, "conns 0 out of range"},
		{[]string{"1234", "--duration", "soon"}, "want a duration"},
		{[]string{"1234", "--codec", "header:2", "--size", "100"}, "cannot frame a 100-byte payload"},
		{[]string{"not an address"}, "bad address"},
		{[]string{"127.0.0.1:"}, "bad port"},
	} {
		r := runCLI(t, append([]string{"bench"}, c.args...)...)
		if r.status != 2 || !strings.Contains(r.stderr, c.stderr) || r.stdout != "" {
			t.Errorf("bench %q: status %d, stderr %q, stdout %q; want 2 and %q", c.args, r.status, r.stderr, r.stdout, c.stderr)
		}
	}
}

// fixed:N sets the size; the report and the server agree on it.
func TestBenchFixedSize(t *testing.T) {
	var sizes atomic.Int64
	addr := serveFrames(t, "fixed:8", func(_ int64, msg []byte) []byte { sizes.Store(int64(len(msg))); return msg })
	r, res := benchJSON(t, addr, "--codec", "fixed:8", "--count", "50")
	if r.status != 0 || res.Size != 8 || sizes.Load() != 8 || res.BytesSent != 400 {
		t.Fatalf("status %d, size %d, server saw %d, %+v", r.status, res.Size, sizes.Load(), res)
	}
}
