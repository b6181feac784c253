package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

// headerFrame is the tutorial's framing: the length in ASCII, left-aligned
// in 10 bytes, then the message.
func headerFrame(msg string) string { return fmt.Sprintf("%-10d%s", len(msg), msg) }

// readHeaderFrame reads one tutorial frame, checking the header's format.
func readHeaderFrame(t *testing.T, c net.Conn) string {
	t.Helper()
	header := make([]byte, 10)
	if _, err := io.ReadFull(c, header); err != nil {
		t.Fatalf("reading header: %v", err)
	}
	if !regexp.MustCompile(`^\d+ *$`).Match(header) {
		t.Fatalf("header %q is not digits padded with spaces", header)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(header)))
	msg := make([]byte, n)
	if _, err := io.ReadFull(c, msg); err != nil {
		t.Fatalf("reading %d-byte message: %v", n, err)
	}
	return string(msg)
}

var timeMessage = regexp.MustCompile(`^The time is (\d{10}\.\d{6})$`)

// The Part II server serves three clients at once, each with its own
// ticker; a client that leaves ends only its own.
func TestPart2ServerThreeClients(t *testing.T) {
	srv := startServer(t, "run", "part2/header_server", "127.0.0.1:0", "0.05")
	const clients = 3
	var wg sync.WaitGroup
	locals := make([]string, clients)
	errs := make(chan error, clients)
	// Client 0 leaves after its first time message; the others read on.
	frames := []int{2, 6, 6}
	for i := 0; i < clients; i++ {
		c, err := net.Dial("tcp", srv.addr.String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(testTimeout))
		locals[i] = c.LocalAddr().String()
		wg.Add(1)
		go func(i int, c net.Conn) {
			defer wg.Done()
			defer c.Close()
			if msg := readHeaderFrame(t, c); msg != "Welcome to the server!" {
				errs <- fmt.Errorf("client %d: first message %q", i, msg)
				return
			}
			last := 0.0
			for k := 1; k < frames[i]; k++ {
				msg := readHeaderFrame(t, c)
				m := timeMessage.FindStringSubmatch(msg)
				if m == nil {
					errs <- fmt.Errorf("client %d: message %q", i, msg)
					return
				}
				at, _ := strconv.ParseFloat(m[1], 64)
				if at <= last {
					errs <- fmt.Errorf("client %d: time went from %f to %f", i, last, at)
					return
				}
				last = at
			}
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r := srv.stop()
	for _, local := range locals {
		line := fmt.Sprintf("connection from %s has been established!\n", local)
		if !strings.Contains(r.stdout, line) {
			t.Errorf("server output lacks %q", line)
		}
	}
	if strings.Count(r.stdout, "\n") != clients || r.stderr != "" || r.status != exitInterrupted {
		t.Fatalf("server: status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
}

// With interval 0 the server sends the welcome only and closes (II.1).
func TestPart2ServerWelcomeOnly(t *testing.T) {
	srv := startServer(t, "part2/header_server", "127.0.0.1:0", "0")
	_, data := readAll(t, srv.addr)
	if data != headerFrame("Welcome to the server!") {
		t.Fatalf("got %q", data)
	}
}

// frameLines is what header_client prints for each message.
func frameLines(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "new message length: %d\nfull message received\n%s\n", len(m), m)
	}
	return b.String()
}

// The Part II client against Go peers that do what the seed's client
// cannot cope with.
func TestPart2ClientAgainstGoPeers(t *testing.T) {
	many := make([]string, 50)
	var fifty strings.Builder
	for i := range many {
		many[i] = fmt.Sprintf("message %d of 50", i+1)
		fifty.WriteString(headerFrame(many[i]))
	}
	const utf8msg = "héllo wörld ✓ 你好"
	cases := []struct {
		name   string
		write  func(c net.Conn)
		want   string
		status int // 0 for a clean end of the stream, 1 otherwise
	}{
		{"byte by byte", func(c net.Conn) {
			for _, b := range []byte(headerFrame("Welcome to the server!") + headerFrame("split")) {
				c.Write([]byte{b})
			}
		}, frameLines("Welcome to the server!", "split") + "the server closed the connection\n", exitOK},
		{"fifty frames in one write", func(c net.Conn) {
			c.Write([]byte(fifty.String()))
		}, frameLines(many...) + "the server closed the connection\n", exitOK},
		{"multi-byte UTF-8 counts bytes", func(c net.Conn) {
			c.Write([]byte(headerFrame(utf8msg) + headerFrame("next")))
		}, frameLines(utf8msg, "next") + "the server closed the connection\n", exitOK},
		{"empty message", func(c net.Conn) {
			c.Write([]byte(headerFrame("") + headerFrame("after empty")))
		}, frameLines("", "after empty") + "the server closed the connection\n", exitOK},
		{"closes mid-frame", func(c net.Conn) {
			c.Write([]byte(headerFrame("whole") + headerFrame("Welcome to the server!")[:17]))
		}, frameLines("whole") + "the server closed the connection in the middle of a message (17 bytes of it arrived)\n", exitError},
		{"closes mid-header", func(c net.Conn) {
			c.Write([]byte("22  "))
		}, "the server closed the connection in the middle of a message (4 bytes of it arrived)\n", exitError},
		{"bad header", func(c net.Conn) {
			c.Write([]byte(headerFrame("ok") + "abc       hello"))
		}, frameLines("ok") + "error: bad header: non-digit byte 'a' at offset 0\n", exitError},
		{"header over the maximum", func(c net.Conn) {
			c.Write([]byte("9999999999"))
		}, "error: frame too large\n", exitError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := luatest.ServeTCP(t, c.write)
			r := runCLI(t, "run", "part2/header_client", addr.String())
			if r.status != c.status || r.stdout != c.want || r.stderr != "" {
				t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, c.want)
			}
		})
	}
}

// The client stops after COUNT messages when given one.
func TestPart2ClientCount(t *testing.T) {
	addr := luatest.ServeTCP(t, func(c net.Conn) {
		var all bytes.Buffer
		for i := 0; i < 5; i++ {
			all.WriteString(headerFrame(strconv.Itoa(i)))
		}
		c.Write(all.Bytes())
		io.Copy(io.Discard, c) // until the client leaves
	})
	r := runCLI(t, "part2/header_client", addr.String(), "2")
	if r.stdout != frameLines("0", "1") {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}
