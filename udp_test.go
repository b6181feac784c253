package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startUDPEcho runs udp/echo_server on a free port and returns its
// session and address (it prints the address it bound).
func startUDPEcho(t *testing.T, drop string) (*session, string) {
	t.Helper()
	srv := startSession(t, "udp echo server", "run", "udp/echo_server", "127.0.0.1:0", drop)
	srv.out.waitFor(t, "udp echo server", "\n")
	m := regexp.MustCompile(`^udp echo server on (127\.0\.0\.1:\d+)\n`).FindStringSubmatch(srv.out.String())
	if m == nil {
		t.Fatalf("server said %q", srv.out.String())
	}
	return srv, m[1]
}

// udpPeer answers every datagram on a free UDP port with what reply
// returns (nothing when it returns nil) and records what it received.
func udpPeer(t *testing.T, reply func(p []byte) [][]byte) (addr string, received func() []string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
			for _, r := range reply(buf[:n]) {
				pc.WriteTo(r, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String(), func() []string {
		var out []string
		for {
			select {
			case s := <-got:
				out = append(out, s)
			default:
				return out
			}
		}
	}
}

// The client against the udp echo server: every reply in one datagram;
// with every second datagram dropped by the server, each lost one retried
// once, and every reply still comes.
func TestUDPEcho(t *testing.T) {
	cases := []struct {
		name, drop string
		args       []string
		want       string
		last       string // the server's last log line begins so
		wantLog    string
	}{
		{"no loss", "0", nil, `reply "1 hello", 7 bytes in one datagram
reply "2 datagrams keep their boundaries", 33 bytes in one datagram
reply "3 bye", 5 bytes in one datagram
`, "datagram 3 ", `udp echo server on 127.0.0.1:PORT
datagram 1 from 127.0.0.1:PORT, 7 bytes: echoed
datagram 2 from 127.0.0.1:PORT, 33 bytes: echoed
datagram 3 from 127.0.0.1:PORT, 5 bytes: echoed
`},
		{"every second datagram lost", "2", []string{"0.5", "3"}, `reply "1 hello", 7 bytes in one datagram
no reply to "2 datagrams keep their boundaries" within 0.5 s (try 1 of 3)
reply "2 datagrams keep their boundaries", 33 bytes in one datagram
no reply to "3 bye" within 0.5 s (try 1 of 3)
reply "3 bye", 5 bytes in one datagram
`, "datagram 5 ", `udp echo server on 127.0.0.1:PORT
datagram 1 from 127.0.0.1:PORT, 7 bytes: echoed
datagram 2 from 127.0.0.1:PORT, 33 bytes: dropped
datagram 3 from 127.0.0.1:PORT, 33 bytes: echoed
datagram 4 from 127.0.0.1:PORT, 5 bytes: dropped
datagram 5 from 127.0.0.1:PORT, 5 bytes: echoed
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, addr := startUDPEcho(t, tc.drop)
			r := runCLI(t, append([]string{"run", "udp/client", addr}, tc.args...)...)
			if r.status != exitOK || r.stdout != tc.want || r.stderr != "" {
				t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, tc.want)
			}
			srv.out.waitFor(t, "server", tc.last)
			if got := portRE.ReplaceAllString(srv.out.String(), "127.0.0.1:PORT"); got != tc.wantLog {
				t.Fatalf("server log:\n%s\nwant:\n%s", got, tc.wantLog)
			}
		})
	}
}

// A peer that never answers: each message is tried three times, the wait
// doubling each time, then given up.
func TestUDPTimeoutBackoffGivesUp(t *testing.T) {
	addr, received := udpPeer(t, func([]byte) [][]byte { return nil })
	start := time.Now()
	r := runCLI(t, "run", "udp/client", addr, "0.05", "3")
	elapsed := time.Since(start)
	var want strings.Builder
	var wantSent []string
	for _, req := range []string{"1 hello", "2 datagrams keep their boundaries", "3 bye"} {
		want.WriteString(`no reply to "` + req + `" within 0.05 s (try 1 of 3)` + "\n")
		want.WriteString(`no reply to "` + req + `" within 0.1 s (try 2 of 3)` + "\n")
		want.WriteString(`no reply to "` + req + `" within 0.2 s (try 3 of 3)` + "\n")
		want.WriteString(`gave up on "` + req + `": no reply after 3 tries` + "\n")
		wantSent = append(wantSent, req, req, req)
	}
	if r.status != exitOK || r.stdout != want.String() || r.stderr != "" {
		t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, want.String())
	}
	if elapsed < 3*350*time.Millisecond {
		t.Fatalf("gave up after %v: the waits (0.05 + 0.1 + 0.2 s a message) were not all made", elapsed)
	}
	if got := received(); strings.Join(got, "|") != strings.Join(wantSent, "|") {
		t.Fatalf("the peer received %q, want %q", got, wantSent)
	}
}

// A reply that matches no request (late, or not ours) is ignored.
func TestUDPUnmatchedReplyIgnored(t *testing.T) {
	addr, _ := udpPeer(t, func(p []byte) [][]byte {
		return [][]byte{[]byte("0 late"), append([]byte(nil), p...)}
	})
	r := runCLI(t, "run", "udp/client", addr)
	want := `ignored a late reply "0 late"
reply "1 hello", 7 bytes in one datagram
ignored a late reply "0 late"
reply "2 datagrams keep their boundaries", 33 bytes in one datagram
ignored a late reply "0 late"
reply "3 bye", 5 bytes in one datagram
`
	if r.status != exitOK || r.stdout != want || r.stderr != "" {
		t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, want)
	}
}
