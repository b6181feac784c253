package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

// startRedis runs a real redis-server on 127.0.0.1 and a free port, with
// nothing saved to disk, for the length of the test, and returns its
// address. Without redis-server the test is skipped, except under CI
// (CI=true), where it fails: .ci/run installs it.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found; CI must have it (.ci/run installs Debian's redis-server)")
		}
		t.Skip("redis-server not found: install it to run the Redis tests (apt-get install redis-server)")
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before redis binds it
		addr, err := tryStartRedis(t, bin)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return ""
}

func tryStartRedis(t *testing.T, bin string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--daemonize", "no",
		"--loglevel", "notice", "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", err
	}
	// Ready when the log says so (no polling): read it in the background.
	ready := make(chan bool, 1)
	logDone := make(chan struct{})
	var log strings.Builder
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if log.Len() < 64<<10 {
				log.WriteString(sc.Text() + "\n")
			}
			if !said && strings.Contains(sc.Text(), "Ready to accept connections") {
				said = true
				ready <- true
			}
		}
		if !said {
			ready <- false
		}
	}()
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-logDone
	}
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return "", fmt.Errorf("it exited:\n%s", log.String())
		}
	case <-time.After(testTimeout):
		stop()
		return "", fmt.Errorf("not ready after %v", testTimeout)
	}
	t.Cleanup(stop)
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}

// RESP itself, without a server: every type, every prefix, bad replies,
// the codec over a stream split into single bytes.
func TestRESPCodec(t *testing.T) {
	luatest.RunFile(t, "testdata/protocols/resp_codec_test.lua", nil)
}

// Every RESP2 type, a pipeline of 1,000 commands, error replies, the
// codec: protocols/resp.lua against a real Redis.
func TestRedisClient(t *testing.T) {
	addr := startRedis(t)
	luatest.RunFile(t, "testdata/protocols/resp_test.lua", map[string]any{"REDIS_ADDR": addr})
}

func TestRedisExampleScript(t *testing.T) {
	addr := startRedis(t)
	r := runCLI(t, "run", "protocols/redis_example", addr)
	want := `DEL netplay:example:greeting netplay:example:visits netplay:example:list -> 0
SET netplay:example:greeting hello, redis -> "OK"
GET netplay:example:greeting             -> "hello, redis"
GET netplay:example:missing              -> nil
INCR netplay:example:visits              -> 1
INCR netplay:example:visits              -> 2
RPUSH netplay:example:list a b c         -> 3
LRANGE netplay:example:list 0 -1         -> {"a", "b", "c"}
INCR netplay:example:greeting            -> error: ERR value is not an integer or out of range
pipeline of 100 INCR: first reply 3, last 102
DEL netplay:example:greeting netplay:example:visits netplay:example:list -> 3
`
	if r.status != exitOK || r.stdout != want || r.stderr != "" {
		t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, want)
	}
}

// The client against servers that misbehave: each case is a Go peer
// that answers every command with the same bytes, and what r:call and
// the call after it return.
func TestRedisClientAgainstBrokenServers(t *testing.T) {
	cases := []struct {
		name, reply string
		want        string
	}{
		{"closes mid-reply", "$10\r\nhel", "nil\tclosed\nnil\tclosed\n"},
		{"closes mid-array", "*3\r\n:1\r\n:2\r\n", "nil\tclosed\nnil\tclosed\n"},
		{"closes before replying", "", "nil\tclosed\nnil\tclosed\n"},
		{"unknown type byte", "?what\r\n", "nil\tbad reply: unknown type byte \"?\"\nnil\tclosed\n"},
		{"bad integer", ":12x\r\n", "nil\tbad reply: integer \"12x\"\nnil\tclosed\n"},
		{"bad bulk length", "$-5\r\n", "nil\tbad reply: bulk length \"-5\"\nnil\tclosed\n"},
		{"bulk too large", "$99999999999\r\n", "nil\tbad reply: bulk string of 99999999999 bytes is over the maximum of 16777216\nnil\tclosed\n"},
		{"bulk without CRLF", "$2\r\nhixx", "nil\tbad reply: bulk string of 2 bytes not followed by \\r\\n\nnil\tclosed\n"},
		{"line too long", ":" + strings.Repeat("1", 70000), "nil\tbad reply: line longer than 65536 bytes\nnil\tclosed\n"},
		{"nested too deep", strings.Repeat("*1\r\n", 65) + ":1\r\n", "nil\tbad reply: arrays nested deeper than 64\nnil\tclosed\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := luatest.ServeTCP(t, func(conn net.Conn) {
				conn.SetDeadline(time.Now().Add(testTimeout))
				buf := make([]byte, 4096)
				if _, err := conn.Read(buf); err != nil {
					return
				}
				conn.Write([]byte(c.reply))
			})
			r := luatest.MustRun(t, `
				local resp = require("protocols.resp")
				local r = assert(resp.connect(ADDR, {timeout = 10}))
				print(r:call("GET", "k"))
				print(r:call("GET", "k"))
			`, map[string]any{"ADDR": addr})
			if r.Stdout != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", r.Stdout, c.want)
			}
		})
	}
}

// A server that never answers: the call times out and the connection is
// closed (a late reply would be taken for the next command's).
func TestRedisClientTimeout(t *testing.T) {
	addr := luatest.ServeTCP(t, func(conn net.Conn) {
		conn.SetDeadline(time.Now().Add(testTimeout))
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	})
	r := luatest.MustRun(t, `
		local resp = require("protocols.resp")
		local r = assert(resp.connect(ADDR, {timeout = 0.05}))
		print(r:call("PING"))
		print(r:call("PING"))
	`, map[string]any{"ADDR": addr})
	if want := "nil\ttimeout\nnil\tclosed\n"; r.Stdout != want {
		t.Fatalf("got %q, want %q", r.Stdout, want)
	}
}

// A pipeline whose commands and replies are both larger than the socket
// buffers, against a server that writes each reply before it reads the
// next command: replies must be read while commands still go out, or
// both sides wait for ever.
func TestRedisPipelineLargerThanTheBuffers(t *testing.T) {
	addr := luatest.ServeTCP(t, func(conn net.Conn) {
		conn.SetDeadline(time.Now().Add(testTimeout))
		rd := bufio.NewReader(conn)
		for { // each command is {"ECHO", value}: reply with value, unbuffered
			var n, size int
			if _, err := fmt.Fscanf(rd, "*%d\r\n$4\r\nECHO\r\n$%d\r\n", &n, &size); err != nil {
				return
			}
			value := make([]byte, size+2)
			if _, err := io.ReadFull(rd, value); err != nil {
				return
			}
			if _, err := fmt.Fprintf(conn, "$%d\r\n%s", size, value); err != nil {
				return
			}
		}
	})
	r := luatest.MustRun(t, `
		local resp = require("protocols.resp")
		local r = assert(resp.connect(ADDR, {timeout = 10}))
		local cmds = {}
		for i = 1, 200 do cmds[i] = {"ECHO", string.rep(string.char(65 + i % 26), 64 * 1024)} end
		local replies = assert(r:pipeline(cmds))
		for i = 1, 200 do assert(replies[i] == cmds[i][2], "reply " .. i) end
		print(#replies, "replies of 64 KiB")
	`, map[string]any{"ADDR": addr})
	if r.Stdout != "200\treplies of 64 KiB\n" {
		t.Fatalf("got %q", r.Stdout)
	}
}
