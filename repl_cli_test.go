package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

// runREPL runs netplay with args and input on a pipe (the REPL reads plain
// lines: no prompt, no escape codes), bounded in time.
func runREPL(t *testing.T, input string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut luatest.Buffer
	status := Main(ctx, args, Stdio{In: strings.NewReader(input), Out: &out, Err: &errOut})
	if ctx.Err() != nil {
		t.Fatalf("netplay %v: still running after %v", args, testTimeout)
	}
	return result{status, out.String(), errOut.String()}
}

func TestREPLOnAPipe(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		input  string
		status int
		stdout string
		stderr string
	}{
		{"expressions print, no prompt", nil, "1 + 1\nx = 20\nx * 2, \"s\"\n", 0, "2\n40, \"s\"\n", ""},
		{"errors do not end the session", nil, "error('bad')\nprint('still here')\n", 0, "still here\n", "stdin:1: bad\nstack traceback:\n\t[G]: in function 'error'\n\tstdin:1: in main chunk\n"},
		{"empty input", nil, "", 0, "", ""},
		{":quit", nil, "print(1)\n:quit\nprint(2)\n", 0, "1\n", ""},
		{"os.exit", nil, "os.exit(5)\n", 5, "", ""},
		{"--trace is accepted", []string{"--trace"}, "1\n", 0, "1\n", ""},
		{"-i without a script", []string{"-i"}, "", 2, "", "netplay: -i needs a script: netplay -i FILE [ARGS...]\nrun 'netplay help' for usage\n"},
		{"-i with no such script", []string{"-i", "nosuch"}, "", 2, "", "netplay: nosuch: no such file or bundled script\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runREPL(t, c.input, c.args...)
			if r.status != c.status || r.stdout != c.stdout || r.stderr != c.stderr {
				t.Fatalf("netplay %q < %q:\nstatus %d, want %d\nstdout %q\nwant   %q\nstderr %q\nwant   %q",
					c.args, c.input, r.status, c.status, r.stdout, c.stdout, r.stderr, c.stderr)
			}
		})
	}
}

// netplay -i FILE ARGS runs FILE, then the REPL over the same state: its
// globals are there, and the server task it spawned still serves.
func TestInteractiveRunsTheFileThenTheREPL(t *testing.T) {
	script := filepath.Join(t.TempDir(), "server.lua")
	os.WriteFile(script, []byte(`
		local srv = assert(socket.listen("127.0.0.1:0"))
		addr = srv:getsockname()
		spawn(function()
			while true do
				local c = srv:accept()
				c:send("hello " .. arg[1])
				c:close()
			end
		end)
		print("serving")
	`), 0o644)
	r := runREPL(t, "c = socket.connect(addr)\nc:recv(100)\narg[0] == "+fmt.Sprintf("%q", script)+"\n", "-i", script, "world")
	if r.status != 0 || r.stdout != "serving\n\"hello world\"\ntrue\n" || r.stderr != "" {
		t.Fatalf("status %d\nstdout %q\nstderr %q", r.status, r.stdout, r.stderr)
	}
}

// A script that fails under -i reports its error, and the REPL opens all
// the same (to look at what it left).
func TestInteractiveAfterAFailingScript(t *testing.T) {
	script := filepath.Join(t.TempDir(), "failing.lua")
	os.WriteFile(script, []byte("before = 1\nerror('it broke')\n"), 0o644)
	r := runREPL(t, "before\n", "-i", script)
	if r.status != 0 || r.stdout != "1\n" || !strings.HasPrefix(r.stderr, script+":2: it broke\nstack traceback:\n") {
		t.Fatalf("status %d\nstdout %q\nstderr %q", r.status, r.stdout, r.stderr)
	}
}

// On a pipe, SIGINT or SIGTERM (ctx cancelled) ends the session with 130
// and closes every socket, even while the REPL waits for input.
func TestREPLInterruptedOnAPipe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	listening := make(chan net.Addr, 1)
	done := make(chan int, 1)
	var out, errOut luatest.Buffer
	go func() {
		done <- Main(ctx, nil, Stdio{In: pr, Out: &out, Err: &errOut, OnListen: func(a net.Addr) { listening <- a }})
	}()
	io.WriteString(pw, `srv = spawn(run, "part1/server", "127.0.0.1:0")`+"\n")
	var addr net.Addr
	select {
	case addr = <-listening:
	case <-time.After(testTimeout):
		t.Fatal("the server did not listen")
	}
	cancel()
	select {
	case status := <-done:
		if status != exitInterrupted {
			t.Fatalf("status %d, want %d; stderr %q", status, exitInterrupted, errOut.String())
		}
	case <-time.After(testTimeout):
		t.Fatal("the REPL did not end")
	}
	if c, err := net.Dial("tcp", addr.String()); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after the REPL ended", addr)
	}
}
