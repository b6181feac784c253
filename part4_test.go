package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// chatLines joins transcript lines, each ending in "\n".
func chatLines(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// withoutLine removes line (and its "\n") from out, failing unless it is
// there exactly once.
func withoutLine(t *testing.T, who, out, line string) string {
	t.Helper()
	if n := strings.Count(out, line+"\n"); n != 1 {
		t.Fatalf("%s saw %q %d times, want once", who, line, n)
	}
	return strings.Replace(out, line+"\n", "", 1)
}

// Three clients through the CLI and one that stops reading: names are
// refused, messages reach every other client, joins and leaves are
// announced, and the client that stops reading is dropped while the
// others get every message.
func TestPart4ChatRoom(t *testing.T) {
	srv := startSession(t, "server", "run", "part4/chat_server", "127.0.0.1:0", "8", "2")
	addr := srv.listening(t).String()
	client := func(name string) *session {
		return startSession(t, name, "run", "part4/chat_client", addr, name)
	}

	alice := client("alice")
	alice.out.waitFor(t, "alice", "welcome, alice! nobody else is here yet\n")
	bob := client("bob")
	bob.out.waitFor(t, "bob", "welcome, bob! also here: alice\n")
	alice.out.waitFor(t, "alice", "* bob joined\n")
	carol := client("carol")
	carol.out.waitFor(t, "carol", "welcome, carol! also here: alice, bob\n")
	alice.out.waitFor(t, "alice", "* carol joined\n")
	bob.out.waitFor(t, "bob", "* carol joined\n")

	for _, c := range []struct{ name, why string }{
		{"bob", "bob is taken"},
		{"", "empty"},
		{strings.Repeat("x", 21), "longer than 20 bytes"},
	} {
		r := runCLI(t, "run", "part4/chat_client", addr, c.name)
		want := "name refused: " + c.why + "\n(disconnected: closed)\n"
		if r.status != exitOK || r.stdout != want || r.stderr != "" {
			t.Fatalf("name %q: status %d\nstdout %q\nwant   %q\nstderr %q", c.name, r.status, r.stdout, want, r.stderr)
		}
	}

	alice.typeLine(t, "hello, room")
	bob.out.waitFor(t, "bob", "alice > hello, room\n")
	carol.out.waitFor(t, "carol", "alice > hello, room\n")

	// dave joins and never reads a byte.
	dave, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer dave.Close()
	dave.(*net.TCPConn).SetReadBuffer(4096)
	dave.SetDeadline(time.Now().Add(testTimeout))
	if _, err := dave.Write([]byte(headerFrame("dave"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*session{alice, bob, carol} {
		c.out.waitFor(t, c.name, "* dave joined\n")
	}

	// bob floods the room until dave's queue has stayed full past the
	// server's patience and dave is dropped; then one more message.
	const dropped = "* dave was dropped (not reading)"
	big := strings.Repeat("x", 32000)
	var flood []string
	for !bob.out.has(dropped + "\n") { // bob's output is short: cheap to look at
		if len(flood) == 2000 {
			t.Fatalf("dave not dropped after %d messages of %d bytes", len(flood), len(big))
		}
		msg := fmt.Sprintf("flood %d %s", len(flood)+1, big)
		bob.typeLine(t, msg)
		flood = append(flood, "bob > "+msg)
	}
	t.Logf("dave dropped after %d messages of %d bytes", len(flood), len(big))
	bob.typeLine(t, "after the drop")
	alice.out.waitFor(t, "alice", "bob > after the drop\n")
	carol.out.waitFor(t, "carol", "bob > after the drop\n")

	carol.stdin.Close() // Ctrl-D: carol leaves
	alice.out.waitFor(t, "alice", "* carol left\n")
	bob.out.waitFor(t, "bob", "* carol left\n")
	alice.typeLine(t, "/quit")
	bob.out.waitFor(t, "bob", "* alice left\n")
	bob.stdin.Close()
	for _, c := range []*session{alice, bob, carol} {
		if status := c.wait(t); status != exitOK || c.errOut.String() != "" {
			t.Fatalf("%s: status %d stderr %q", c.name, status, c.errOut.String())
		}
	}

	floodLines := strings.Join(flood, "\n")
	wantAlice := chatLines("welcome, alice! nobody else is here yet", "* bob joined", "* carol joined",
		"* dave joined", floodLines, "bob > after the drop", "* carol left", "(disconnected: closed)")
	wantCarol := chatLines("welcome, carol! also here: alice, bob", "alice > hello, room", "* dave joined",
		floodLines, "bob > after the drop", "(disconnected: closed)")
	wantBob := chatLines("welcome, bob! also here: alice", "* carol joined", "alice > hello, room",
		"* dave joined", dropped, "* carol left", "* alice left", "(disconnected: closed)")
	for _, c := range []struct {
		s    *session
		want string
	}{{alice, wantAlice}, {carol, wantCarol}} {
		got := withoutLine(t, c.s.name, c.s.out.String(), dropped)
		if got != c.want {
			t.Errorf("%s's transcript (%d lines, dave's drop notice taken out) differs from the %d lines expected:\n%s",
				c.s.name, strings.Count(got, "\n"), strings.Count(c.want, "\n"), firstDifference(got, c.want))
		}
	}
	if got := bob.out.String(); got != wantBob {
		t.Errorf("bob's transcript:\n%s\nwant:\n%s", got, wantBob)
	}

	srv.cancel()
	if status := srv.wait(t); status != exitInterrupted || srv.errOut.String() != "" {
		t.Fatalf("server: status %d stderr %q", status, srv.errOut.String())
	}
	wantServer := chatLines("alice joined from 127.0.0.1:PORT", "bob joined from 127.0.0.1:PORT",
		"carol joined from 127.0.0.1:PORT", "refused 127.0.0.1:PORT: bob is taken",
		"refused 127.0.0.1:PORT: empty", "refused 127.0.0.1:PORT: longer than 20 bytes",
		"dave joined from 127.0.0.1:PORT", "dave dropped: not reading", "carol left", "alice left", "bob left")
	if got := portRE.ReplaceAllString(srv.out.String(), "127.0.0.1:PORT"); got != wantServer {
		t.Errorf("server log:\n%s\nwant:\n%s", got, wantServer)
	}
}

// firstDifference shows where two long transcripts part, line by line.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	short := func(s string) string {
		if len(s) > 60 {
			return s[:60] + "..."
		}
		return s
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, short(gl), short(wl))
		}
	}
	return "no difference"
}
