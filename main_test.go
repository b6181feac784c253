package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/luatest"
	"netplay/scripts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	execChildIfAsked() // in a child server (childserver_test.go): never returns
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeBuilt()
		os.Exit(code)
	}))
}

// testTimeout bounds every run of the CLI in these tests.
const testTimeout = 20 * time.Second

// result is one run of the CLI entry point.
type result struct {
	status         int
	stdout, stderr string
}

// runCLI runs Main with args to the end, bounded in time.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut luatest.Buffer
	status := Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if ctx.Err() != nil {
		t.Fatalf("netplay %v: still running after %v", args, testTimeout)
	}
	return result{status, out.String(), errOut.String()}
}

// server is a script running in the background through Main.
type server struct {
	addr   net.Addr
	stdout *luatest.Buffer
	stop   func() result
}

// startServer runs a server script through Main and returns once it
// listens. stop interrupts it (as SIGINT does) and returns its result.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	var out, errOut luatest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut, OnListen: func(a net.Addr) {
			select {
			case listening <- a:
			default:
			}
		}})
	}()
	s := &server{stdout: &out}
	var stopped *result
	s.stop = func() result {
		if stopped == nil {
			cancel()
			select {
			case status := <-done:
				stopped = &result{status, out.String(), errOut.String()}
			case <-time.After(testTimeout):
				t.Fatalf("server %v did not stop", args)
			}
		}
		return *stopped
	}
	t.Cleanup(func() { s.stop() })
	select {
	case s.addr = <-listening:
	case status := <-done:
		t.Fatalf("server %v exited with %d before listening: %s", args, status, errOut.String())
	case <-time.After(testTimeout):
		t.Fatalf("server %v did not listen", args)
	}
	return s
}

// readAll connects to addr and reads until the server closes.
func readAll(t *testing.T, addr net.Addr) (local string, data string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return c.LocalAddr().String(), string(b)
}

func TestPart1ServerAgainstGoClients(t *testing.T) {
	srv := startServer(t, "run", "part1/server", "127.0.0.1:0")
	var want strings.Builder
	for i := 0; i < 3; i++ {
		local, data := readAll(t, srv.addr)
		if data != "welcome to the server!" {
			t.Fatalf("client %d got %q", i, data)
		}
		fmt.Fprintf(&want, "connection from %s has been established!\n", local)
	}
	r := srv.stop()
	if r.status != exitInterrupted || r.stdout != want.String() || r.stderr != "" {
		t.Fatalf("server: status %d\nstdout %q\nwant   %q\nstderr %q", r.status, r.stdout, want.String(), r.stderr)
	}
}

func TestPart1ClientsAgainstServerScript(t *testing.T) {
	srv := startServer(t, "part1/server", "127.0.0.1:0")
	cases := []struct {
		script string
		want   string
	}{
		{"part1/client", "welcome to the server!\n"},
		{"part1/client_recv8", "welcome \n"},
		{"part1/client_recv8_loop", "welcome \nto the s\nerver!\n"},
		{"part1/client_stream", "welcome to the server!\n"},
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			r := runCLI(t, "run", c.script, srv.addr.String())
			if r.status != exitOK || r.stdout != c.want || r.stderr != "" {
				t.Fatalf("status %d\nstdout %q\nwant   %q\nstderr %q", r.status, r.stdout, c.want, r.stderr)
			}
		})
	}
	if got := strings.Count(srv.stdout.String(), "has been established!\n"); got != len(cases) {
		t.Fatalf("server saw %d connections, want %d:\n%s", got, len(cases), srv.stdout.String())
	}
}

// The client scripts take a bare port too, on loopback.
func TestClientTakesBarePort(t *testing.T) {
	srv := startServer(t, "part1/server", "0")
	_, port, _ := net.SplitHostPort(srv.addr.String())
	if !strings.HasPrefix(srv.addr.String(), "127.0.0.1:") {
		t.Fatalf("server listens on %s, want loopback", srv.addr)
	}
	r := runCLI(t, "part1/client", port)
	if r.stdout != "welcome to the server!\n" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestClientWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := runCLI(t, "run", "part1/client", addr)
	if r.status != exitError || !strings.HasPrefix(r.stderr, "netplay: part1/client.lua:10: connection refused\nstack traceback:\n") {
		t.Fatalf("status %d stderr %q", r.status, r.stderr)
	}
}

// portRE and timeRE match what changes from run to run.
var (
	portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	timeRE = regexp.MustCompile(`The time is \d+\.\d{6}`)
)

// The guided tour, as a golden transcript (ports masked).
func TestTourGolden(t *testing.T) {
	r := runCLI(t, "run", "tour")
	if r.status != exitOK || r.stderr != "" {
		t.Fatalf("status %d stderr %q", r.status, r.stderr)
	}
	masked := portRE.ReplaceAllString(r.stdout, "127.0.0.1:PORT")
	masked = timeRE.ReplaceAllString(masked, "The time is SECONDS.MICROS")
	luatest.CheckGolden(t, "testdata/tour.golden", masked, *update)
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "args.lua")
	os.WriteFile(script, []byte("print(arg[0], arg[1], arg[2], select('#', ...), ...)\n"), 0o644)
	broken := filepath.Join(dir, "broken.lua")
	os.WriteFile(broken, []byte("local x =\n  = 2\n"), 0o644)
	unfinished := filepath.Join(dir, "unfinished.lua")
	os.WriteFile(unfinished, []byte("local x = 1\nfor i = 1, 3 do\n  print(i)\n"), 0o644)
	failing := filepath.Join(dir, "failing.lua")
	os.WriteFile(failing, []byte("local function f()\n  error('it broke')\nend\nf()\n"), 0o644)
	cases := []struct {
		name   string
		args   []string
		status int
		stdout string
		stderr string // a prefix
	}{
		{"run a file with args", []string{"run", script, "a", "b"}, 0, script + "\ta\tb\t2\ta\tb\n", ""},
		{"a file without run", []string{script, "x"}, 0, script + "\tx\tnil\t1\tx\n", ""},
		{"-e", []string{"-e", "print(1 + 1)"}, 0, "2\n", ""},
		{"-e error", []string{"-e", "error('bad')"}, 1, "", "netplay: <string>:1: bad\nstack traceback:\n"},
		{"error names file and line", []string{failing}, 1, "", "netplay: " + failing + ":2: it broke\nstack traceback:\n"},
		{"syntax error names file and line", []string{"run", broken}, 1, "", "netplay: " + broken + ":2: syntax error near '='\n"},
		{"an unfinished file names its line", []string{"run", unfinished}, 1, "", "netplay: " + unfinished + ":4: 'end' expected (to close 'for' at line 2) near <eof>\n"},
		{"-e syntax error", []string{"-e", "for i = 1, 2 do"}, 1, "", "netplay: <string>:1: 'end' expected near <eof>\n"},
		{"-e twice runs both in order", []string{"-e", "x = 1 print('a', ...)", "-e", "print(x + 1, ...)", "p", "q"}, 0, "a\tp\tq\n2\tp\tq\n", ""},
		{"-e thrice", []string{"-e", "io.write(1)", "-e", "io.write(2)", "-e", "print(3)"}, 0, "123\n", ""},
		{"-e: nothing runs when one does not compile", []string{"-e", "print(1)", "-e", "x = = 1"}, 1, "", "netplay: <string>:1: syntax error near '='\n"},
		{"-e: an error stops the rest", []string{"-e", "error('first', 0)", "-e", "print(2)"}, 1, "", "netplay: first\n"},
		{"run --help", []string{"run", "--help"}, 0, runUsage, ""},
		{"run -h", []string{"run", "-h"}, 0, runUsage, ""},
		{"help run", []string{"help", "run"}, 0, runUsage, ""},
		{"help show", []string{"help", "show"}, 0, showUsage, ""},
		{"help of nothing", []string{"help", "nope"}, 2, "", "netplay: no help on \"nope\": run 'netplay help' for the commands\n"},
		{"show a bundled script", []string{"show", "part1/client_recv8"}, 0, string(mustBundled(t, "part1/client_recv8")), ""},
		{"show with .lua", []string{"show", "part1/client_recv8.lua"}, 0, string(mustBundled(t, "part1/client_recv8")), ""},
		{"show no such script", []string{"show", "part9/nope"}, 2, "", "netplay: part9/nope: no such bundled script (netplay list shows them)\n"},
		{"show needs a name", []string{"show"}, 2, "", "netplay: show needs one script name\n"},
		{"no such script", []string{"run", "nosuch"}, 2, "", "netplay: nosuch: no such file or bundled script\n"},
		{"no such file", []string{filepath.Join(dir, "nope.lua")}, 2, "", "netplay: " + filepath.Join(dir, "nope.lua") + ": no such file"},
		{"unknown flag", []string{"--bogus"}, 2, "", "netplay: unknown flag --bogus\nrun 'netplay help' for usage\n"},
		{"run without script", []string{"run"}, 2, "", "netplay: run needs a script"},
		{"-e without code", []string{"-e"}, 2, "", "netplay: -e needs a chunk of Lua code"},
		{"version", []string{"version"}, 0, "netplay " + version + "\n", ""},
		{"a task error makes the exit status 1", []string{"-e", "spawn(function() error('in task', 0) end)"}, 1, "", "task 2: in task\n"},
		{"--max-alloc bounds one allocation", []string{"--max-alloc", "1000", "-e", "print(pcall(string.rep, 'x', 1001)) print(#string.rep('x', 1000))"}, 0, "false\t<string>:1: string.rep: result too large\n1000\n", ""},
		{"--max-alloc needs a number", []string{"--max-alloc", "lots", "-e", "print(1)"}, 2, "", "netplay: --max-alloc needs a number of bytes\n"},
		{"--max-alloc needs a value", []string{"--max-alloc"}, 2, "", "netplay: --max-alloc needs a number of bytes\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.args...)
			if r.status != c.status || r.stdout != c.stdout || !strings.HasPrefix(r.stderr, c.stderr) || (c.stderr == "" && r.stderr != "") {
				t.Fatalf("netplay %q:\nstatus %d, want %d\nstdout %q\nwant   %q\nstderr %q\nwant prefix %q", c.args, r.status, c.status, r.stdout, c.stdout, r.stderr, c.stderr)
			}
		})
	}
}

// mustBundled is the source of a bundled script, as the embedded file has it.
func mustBundled(t *testing.T, name string) []byte {
	t.Helper()
	src, err := scripts.FS.ReadFile(name + ".lua")
	if err != nil || len(src) == 0 {
		t.Fatalf("bundled %s: %v", name, err)
	}
	return src
}

func TestHelpAndList(t *testing.T) {
	r := runCLI(t, "help")
	if r.status != 0 || !strings.Contains(r.stdout, "netplay run FILE [ARGS...]") {
		t.Fatalf("help: %d %q", r.status, r.stdout)
	}
	r = runCLI(t, "list")
	for _, want := range []string{
		"Start here\n  tour                     The guided tour: every tutorial stage in one process, narrated\n\nPart I: ",
		"\n  part1/server             Part I.1: a server that says welcome to each client, then hangs up\n",
		"\n  part1/client_recv8       Part I.4.1: recv(8) once: only the first 8 bytes of the message arrive\n",
		"\n\nPart III: objects, as JSON in header frames\n  part3/object_client      Part III: receive",
		"\n\nProtocols: real ones (Redis, HTTP) and your own (kv)\n  protocols/http ",
		"\n  protocols/resp           Module require(\"protocols.resp\"): a Redis client (RESP2), and RESP as a structured frame codec\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
}

// The real binary: SIGINT closes every listener and connection and exits 130.
func TestSignalClosesEverythingAndExits130(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "netplay")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-e", `
				local srv = assert(socket.listen("127.0.0.1:0"))
				print(srv:getsockname())
				io.stdout:flush()
				local conn = srv:accept()
				conn:sendall("accepted\n")
				spawn(function() sleep(1000) end)
				conn:recv(10)
			`)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			addr, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			c, err := net.Dial("tcp", strings.TrimSpace(addr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(testTimeout))
			br := bufio.NewReader(c)
			if line, err := br.ReadString('\n'); line != "accepted\n" {
				t.Fatalf("got %q, %v", line, err)
			}
			// The script now waits in recv: the signal must close the
			// connection, so the client sees EOF.
			cmd.Process.Signal(sig)
			if n, err := br.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("client read %d, %v; want EOF", n, err)
			}
			err = cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want status 130", err)
			}
		})
	}
}

// A server script whose port is taken says so and exits 1 (it must not
// quietly listen somewhere else).
func TestServerScriptsOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for script, line := range map[string]int{"part1/server": 12, "part2/header_server": 24} {
		r := runCLI(t, "run", script, ln.Addr().String())
		want := fmt.Sprintf("netplay: %s.lua:%d: address already in use\n", script, line)
		if r.status != exitError || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("%s: status %d stderr %q, want prefix %q", script, r.status, r.stderr, want)
		}
	}
}
