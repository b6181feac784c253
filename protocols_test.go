package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

// The kv scripts end to end through the CLI: the client's command from
// its arguments and from typed lines (its Lua tests are beside it, in
// scripts/protocols/kv_test.lua).
func TestKVServerAndClientScripts(t *testing.T) {
	srv := startSession(t, "kv server", "run", "protocols/kv_server", "127.0.0.1:0")
	addr := srv.listening(t).String()
	r := runCLI(t, "run", "protocols/kv_client", addr, "SET", "greeting", "hello")
	if r.status != exitOK || r.stdout != "OK\n" || r.stderr != "" {
		t.Fatalf("one command: status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
	typed := startSession(t, "kv client", "run", "protocols/kv_client", addr)
	for _, line := range []string{"GET greeting", "DEL greeting", "GET greeting", "FLY", "QUIT", "GET never sent"} {
		typed.typeLine(t, line)
	}
	if status := typed.wait(t); status != exitOK || typed.errOut.String() != "" {
		t.Fatalf("typed: status %d stderr %q", status, typed.errOut.String())
	}
	want := "VALUE hello\nDELETED\nNOT FOUND\nERROR unknown command FLY\nBYE\n"
	if got := typed.out.String(); got != want {
		t.Fatalf("typed:\n%s\nwant:\n%s", got, want)
	}
	srv.cancel()
	if status := srv.wait(t); status != exitInterrupted || srv.out.String() != "" || srv.errOut.String() != "" {
		t.Fatalf("server: status %d stdout %q stderr %q", status, srv.out.String(), srv.errOut.String())
	}
}

// The sniffing server picks the protocol from the first bytes: RESP
// (resp.lua and raw bytes), HTTP (Go's client and resp.lua's neighbour
// http.lua), text lines, and a TLS ClientHello: the handshake, then the
// same protocols inside TLS (crypto/tls and Go's https client).
func TestSniffServerPicksTheProtocol(t *testing.T) {
	srv := startSession(t, "sniff server", "run", "protocols/sniff_server", "127.0.0.1:0")
	addr := srv.listening(t).String()
	talk := func(send string) string {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		c.Write([]byte(send))
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("reading the answer to %q: %v", send, err)
		}
		return string(got)
	}
	cases := []struct{ name, send, want, log string }{
		{"RESP", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n*1\r\n$3\r\nDEL\r\n",
			"+PONG\r\n$5\r\nhello\r\n-ERR unknown command 'DEL'\r\n", "speaks RESP"},
		{"RESP, malformed", "*1\r\n?\r\n", "-ERR bad reply: unknown type byte \"?\"\r\n", "speaks RESP"},
		{"text lines", "hello\nsecond line\r\n", "you said: hello\nyou said: second line\n", "speaks text"},
		{"text, no newline before the end", "partial", "you said (no newline): partial\n", "speaks text"},
		{"text that starts like HTTP", "GET me a coffee\n", "you said: GET me a coffee\n", "speaks text"},
		{"HTTP", "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 36\r\nConnection: close\r\n\r\nyou spoke HTTP: GET /hello HTTP/1.1\n", "speaks HTTP: GET /hello HTTP/1.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := talk(c.send); got != c.want {
				t.Fatalf("answer %q, want %q", got, c.want)
			}
			srv.out.waitFor(t, "sniff server", c.log+"\n")
		})
	}
	// A TLS client (crypto/tls): the handshake, then text lines inside it;
	// Go's HTTP client over https; a record that only looks like TLS.
	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(testTimeout))
	fmt.Fprint(tc, "over TLS\n")
	if line, err := bufio.NewReader(tc).ReadString('\n'); line != "you said: over TLS\n" || err != nil {
		t.Fatalf("inside TLS: %q, %v", line, err)
	}
	if st := tc.ConnectionState(); st.Version != tls.VersionTLS13 || st.PeerCertificates[0].Subject.CommonName != "localhost" {
		t.Fatalf("TLS state: version %x, subject %v", st.Version, st.PeerCertificates[0].Subject)
	}
	tc.Close()
	srv.out.waitFor(t, "sniff server", "speaks TLS (TLS 1.3)\n")
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := insecure.Get("https://" + addr + "/over-tls")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "you spoke HTTP: GET /over-tls HTTP/1.1\n" {
		t.Fatalf("https from Go: %d %q", res.StatusCode, body)
	}
	if got := talk("\x16\x03\x01\x00\x05hello"); !strings.HasPrefix(got, "\x15\x03\x01") {
		t.Fatalf("a broken hello: %q, want a TLS alert record", got)
	}
	srv.out.waitFor(t, "sniff server", "speaks TLS, but the handshake failed: tls: handshake message of length 6646892 bytes exceeds maximum of 65536 bytes\n")

	// Real clients: Go's HTTP client, and resp.lua.
	res, err = http.Get("http://" + addr + "/from-go")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "you spoke HTTP: GET /from-go HTTP/1.1\n" {
		t.Fatalf("Go's client: %d %q", res.StatusCode, body)
	}
	r := luatest.MustRun(t, `
		local resp = require("protocols.resp")
		local r = assert(resp.connect(ADDR, {timeout = 10}))
		print(r:call("PING"))
		print(r:call("ECHO", "over resp.lua"))
		print(r:call("SET", "k", "v"))
		r:close()
	`, map[string]any{"ADDR": addr})
	if want := "PONG\nover resp.lua\nnil\tERR unknown command 'SET'\n"; r.Stdout != want {
		t.Fatalf("resp.lua: %q, want %q", r.Stdout, want)
	}
	srv.cancel()
	srv.wait(t)
	if srv.errOut.String() != "" {
		t.Fatalf("server stderr: %s", srv.errOut.String())
	}
	log := bufio.NewScanner(strings.NewReader(srv.out.String()))
	log.Scan()
	if !regexp.MustCompile(`^sniffing server on 127\.0\.0\.1:\d+$`).MatchString(log.Text()) {
		t.Fatalf("first log line %q", log.Text())
	}
}
