package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
	"netplay/runtime/wiretrace"
)

// replayRun is netplay replay running in the background through Main.
type replayRun struct {
	addr net.Addr // where it listens (--as server)
	wait func() result
}

// startReplay runs netplay replay ARGS through Main. With --as server it
// returns once the replay listens.
func startReplay(t *testing.T, args ...string) *replayRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	listening := make(chan net.Addr, 1)
	done := make(chan result, 1)
	var out, errOut luatest.Buffer
	go func() {
		status := Main(ctx, append([]string{"replay"}, args...), Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut, OnListen: func(a net.Addr) {
			listening <- a
		}})
		done <- result{status, out.String(), errOut.String()}
	}()
	var finished *result
	r := &replayRun{}
	r.wait = func() result {
		t.Helper()
		if finished == nil {
			res := <-done // bounded: ctx ends the replay
			finished = &res
			if ctx.Err() != nil {
				t.Fatalf("netplay replay %v: still running after %v", args, testTimeout)
			}
		}
		return *finished
	}
	t.Cleanup(func() { cancel(); r.wait() })
	if !strings.Contains(strings.Join(args, " "), "--as server") {
		return r
	}
	select {
	case r.addr = <-listening:
	case res := <-done:
		finished = &res
		t.Fatalf("netplay replay %v exited with %d before listening:\n%s%s", args, res.status, res.stdout, res.stderr)
	}
	return r
}

// readRecording reads a recording, failing the test unless every event
// validates against the schema.
func readRecording(t *testing.T, path string) []wiretrace.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := wiretrace.ReadJSONL(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(events) == 0 {
		t.Fatalf("%s: empty recording", path)
	}
	for _, ev := range events {
		if err := wiretrace.Validate(ev); err != nil {
			t.Fatalf("%s: event %d: %v", path, ev.Seq, err)
		}
	}
	return events
}

// recordPingClient records testdata/replay/ping_client.lua sending msgs
// to bench/pingpong_server, and returns the recording and what the
// client printed.
func recordPingClient(t *testing.T, msgs ...string) (string, string) {
	t.Helper()
	srv := startServer(t, "run", "bench/pingpong_server", "127.0.0.1:0")
	rec := filepath.Join(t.TempDir(), "ping.jsonl")
	args := append([]string{"--record", rec, "run", "testdata/replay/ping_client.lua", srv.addr.String()}, msgs...)
	r := runCLI(t, args...)
	if r.status != exitOK || r.stderr != "" {
		t.Fatalf("recording: status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	readRecording(t, rec)
	return rec, r.stdout
}

// sendEvent is the seq of the recording's send of the bytes at offset.
func sendEvent(t *testing.T, rec string, conn string, offset int64) int {
	t.Helper()
	for _, ev := range readRecording(t, rec) {
		if ev.Conn == conn && ev.Event == wiretrace.Send && ev.Offset == offset {
			return ev.Seq
		}
	}
	t.Fatalf("%s: no send at offset %d on %s", rec, offset, conn)
	return 0
}

// Part II recorded against the real server, then replayed as the server
// against the real client: the client prints the same, the replay finds
// no difference.
func TestReplayPart2AsServer(t *testing.T) {
	srv := startServer(t, "run", "part2/header_server", "127.0.0.1:0", "0.02")
	rec := filepath.Join(t.TempDir(), "part2.jsonl")
	recorded := runCLI(t, "--record", rec, "run", "part2/header_client", srv.addr.String(), "3")
	if recorded.status != exitOK || recorded.stderr != "" {
		t.Fatalf("recording: status %d\n%s%s", recorded.status, recorded.stdout, recorded.stderr)
	}
	srv.stop()
	events := readRecording(t, rec)
	if events[0].Event != wiretrace.Connect {
		t.Fatalf("the recording starts with %s, want connect", events[0].Event)
	}

	rp := startReplay(t, rec, "--as", "server", "127.0.0.1:0")
	replayed := runCLI(t, "run", "part2/header_client", rp.addr.String(), "3")
	if replayed.status != exitOK || replayed.stdout != recorded.stdout {
		t.Fatalf("the client against the replay: status %d\n%s\nwant\n%s%s", replayed.status, replayed.stdout, recorded.stdout, replayed.stderr)
	}
	if !strings.Contains(recorded.stdout, "The time is") {
		t.Fatalf("no time message recorded:\n%s", recorded.stdout)
	}
	res := rp.wait()
	chunks, bytes := received(events)
	want := fmt.Sprintf("netplay replay: listening on %s, the server of %s (1 connection)\n"+
		"c1 ok: sent %d bytes in %d writes, received 0 bytes as recorded, the client closed the connection\n"+
		"netplay replay: no difference (1 connection)\n", rp.addr, rec, bytes, chunks)
	if res.status != exitOK || res.stdout != want || res.stderr != "" {
		t.Fatalf("replay: status %d\n%s\nwant\n%s%s", res.status, res.stdout, want, res.stderr)
	}
}

// received counts the chunks the recorded client received, and their
// bytes (110 when each of the three messages came in a read of its own).
func received(events []wiretrace.Event) (chunks, bytes int) {
	for _, ev := range events {
		if ev.Event == wiretrace.Recv {
			chunks++
			bytes += ev.N
		}
	}
	return chunks, bytes
}

// A client that sends one different byte gets exit status 1 and a report
// that names the connection, the offset, the recorded event and both
// bytes.
func TestReplayCatchesOneDifferentByte(t *testing.T) {
	rec, printed := recordPingClient(t, "ping 1", "ping 2")
	if printed != "pong 1\npong 2\n" {
		t.Fatalf("recorded client printed %q", printed)
	}
	rp := startReplay(t, rec, "--as", "server", "127.0.0.1:0")
	client := runCLI(t, "run", "testdata/replay/ping_client.lua", rp.addr.String(), "ping 1", "ping 3")
	if client.stdout != "pong 1\nno reply: closed\n" {
		t.Fatalf("the changed client printed %q", client.stdout)
	}
	res := rp.wait()
	want := fmt.Sprintf(`netplay replay: listening on %s, the server of %s (1 connection)
c1: the client sent 0x33 '3' at offset 12 where the recording has 0x32 '2'
  recorded as event %d: c1 send of 7 bytes at offset 7
  expected (what the recorded client sent):
    00000000: 7069 6e67 2031 0a70 696e 6720 320a       ping 1.ping 2.
                                            ^^                     ^
  received:
    00000000: 7069 6e67 2031 0a70 696e 6720 330a       ping 1.ping 3.
                                            ^^                     ^
`, rp.addr, rec, sendEvent(t, rec, "c1", 7))
	if res.status != exitError || res.stdout != want || res.stderr != "" {
		t.Fatalf("replay: status %d\n%s\nwant\n%s%s", res.status, res.stdout, want, res.stderr)
	}
}

// A client that leaves before sending all that was recorded is a
// difference too, at the offset where its stream ended.
func TestReplayClientClosesEarly(t *testing.T) {
	rec, _ := recordPingClient(t, "ping 1", "ping 2")
	rp := startReplay(t, rec, "--as", "server", "127.0.0.1:0", "--timeout", "5s")
	if client := runCLI(t, "run", "testdata/replay/ping_client.lua", rp.addr.String(), "ping 1"); client.stdout != "pong 1\n" {
		t.Fatalf("the client printed %q", client.stdout)
	}
	res := rp.wait()
	want := fmt.Sprintf(`c1: the client closed the connection at offset 7; the recording has 7 more bytes
  recorded as event %d: c1 send of 7 bytes at offset 7
  expected (what the recorded client sent):
    00000000: 7069 6e67 2031 0a70 696e 6720 320a       ping 1.ping 2.
                               ^^                             ^
  received:
    00000000: 7069 6e67 2031 0a                        ping 1.
    (ends at offset 7)
`, sendEvent(t, rec, "c1", 7))
	if res.status != exitError || !strings.HasSuffix(res.stdout, want) {
		t.Fatalf("replay: status %d\n%s\nwant the report\n%s%s", res.status, res.stdout, want, res.stderr)
	}
}

// A client that sends more than the recorded one did.
func TestReplayClientSendsMore(t *testing.T) {
	rec, _ := recordPingClient(t, "ping 1")
	rp := startReplay(t, rec, "--as", "server", "127.0.0.1:0")
	runCLI(t, "run", "testdata/replay/ping_client.lua", rp.addr.String(), "ping 1", "ping 2")
	res := rp.wait()
	if res.status != exitError || !strings.Contains(res.stdout, "c1: the client sent 7 bytes more than recorded, from offset 7\n") ||
		!strings.Contains(res.stdout, "    00000000: 7069 6e67 2031 0a70 696e 6720 320a       ping 1.ping 2.\n") {
		t.Fatalf("replay: status %d\n%s%s", res.status, res.stdout, res.stderr)
	}
}

// The server's side of a session, recorded, replayed as the client
// against a live server: the same server matches, one that hangs up after
// its first reply is reported where its stream ended.
func TestReplayAsClient(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "server.jsonl")
	srv := startServer(t, "--record", rec, "run", "bench/pingpong_server", "127.0.0.1:0")
	if r := runCLI(t, "run", "testdata/replay/ping_client.lua", srv.addr.String(), "ping 1", "ping 2"); r.stdout != "pong 1\npong 2\n" {
		t.Fatalf("client: %q", r.stdout)
	}
	if r := srv.stop(); r.status != exitInterrupted {
		t.Fatalf("server: status %d\n%s", r.status, r.stderr)
	}
	readRecording(t, rec)

	live := startServer(t, "run", "bench/pingpong_server", "127.0.0.1:0")
	res := startReplay(t, rec, "--as", "client", live.addr.String()).wait()
	want := fmt.Sprintf("netplay replay: connecting to %s, the client of %s (1 connection)\n"+
		"c1 ok: sent 14 bytes in 2 writes, received 14 bytes as recorded, the server closed the connection\n"+
		"netplay replay: no difference (1 connection)\n", live.addr, rec)
	if res.status != exitOK || res.stdout != want {
		t.Fatalf("replay against the same server: status %d\n%s\nwant\n%s%s", res.status, res.stdout, want, res.stderr)
	}

	// A server that answers the first ping and hangs up at the second.
	hangup := goServer(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		if line, _ := r.ReadString('\n'); line == "ping 1\n" {
			c.Write([]byte("pong 1\n"))
		}
		r.ReadString('\n')
	})
	res = startReplay(t, rec, "--as", "client", hangup, "--timeout", "5s").wait()
	if res.status != exitError || !strings.Contains(res.stdout, "c1: the server closed the connection at offset 7; the recording has 7 more bytes\n") {
		t.Fatalf("replay against a server that hangs up: status %d\n%s%s", res.status, res.stdout, res.stderr)
	}
}

// goServer serves each connection with handle on 127.0.0.1:0, closing
// it after; it returns the address.
func goServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(testTimeout))
			handle(c)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// A client that never connects: the timeout ends the replay with a
// report; so does a client that connects and says nothing.
func TestReplayTimeouts(t *testing.T) {
	rec, _ := recordPingClient(t, "ping 1")
	res := startReplay(t, rec, "--as", "server", "127.0.0.1:0", "--timeout", "0.2").wait()
	if res.status != exitError || !strings.Contains(res.stdout, "c1: no connection from the client within 0.2s (0 of the recording's connections came)\n") {
		t.Fatalf("no client: status %d\n%s%s", res.status, res.stdout, res.stderr)
	}
	rp := startReplay(t, rec, "--as", "server", "127.0.0.1:0", "--timeout", "0.2")
	c, err := net.Dial("tcp", rp.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res = rp.wait()
	if res.status != exitError || !strings.Contains(res.stdout, "c1: nothing from the client for 0.2s at offset 0; the recording has 7 more bytes\n") {
		t.Fatalf("silent client: status %d\n%s%s", res.status, res.stdout, res.stderr)
	}
}

func TestReplayUsage(t *testing.T) {
	rec, _ := recordPingClient(t, "ping 1")
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("{\"seq\":1,\"time\":1,\"rel\":0,\"conn\":\"c1\",\"proto\":\"tcp\",\"remote\":\"127.0.0.1:1\",\"event\":\"connect\"}\nnot json\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "which recording?"},
		{[]string{rec}, "say which side netplay plays: --as server or --as client"},
		{[]string{rec, "--as", "both"}, `--as must be server or client, not "both"`},
		{[]string{rec, "--as", "client"}, "--as client needs the address of the live server"},
		{[]string{rec, "--as", "server", "8.8.8.8:53"}, "refusing 8.8.8.8:53: not a loopback or private address"},
		{[]string{rec, "--as", "server", "--timeout", "0"}, "--timeout must be more than 0"},
		{[]string{rec, "--as", "server", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{filepath.Join(t.TempDir(), "missing.jsonl"), "--as", "server"}, "no such file or directory"},
		{[]string{bad, "--as", "server"}, "bad.jsonl: line 2: not JSON"},
		{[]string{rec, "--as", "client", "127.0.0.1:1"}, "it was recorded on the client's side; replay it --as server"},
	}
	for _, c := range cases {
		r := runCLI(t, append([]string{"replay"}, c.args...)...)
		if r.status != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("netplay replay %q: status %d, stderr %q, want %q", c.args, r.status, r.stderr, c.want)
		}
	}
	if r := runCLI(t, "replay", "--help"); r.status != exitOK || !strings.HasPrefix(r.stdout, "usage: netplay replay FILE") {
		t.Errorf("--help: %d %q", r.status, r.stdout)
	}
}

// replay.peer on the virtual network (testdata/replay/virtual_test.lua):
// committed recordings played to the real client scripts, the output and
// the virtual times exact, the recorded pauses and the replay's timeouts
// kept in virtual time. The recordings span more than 2 s of pauses and
// timeouts together well over that; in virtual time they cost none.
func TestReplayPeerInVirtualTime(t *testing.T) {
	start := time.Now()
	r := runCLI(t, "test", "testdata/replay")
	if r.status != 0 || r.stdout != "8 passed, 0 failed\n" {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	if wall := time.Since(start); wall >= 2*time.Second {
		t.Errorf("the tests took %v of wall time: the pauses were not virtual", wall)
	}
}
