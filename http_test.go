package main

import (
	"bufio"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

// showResponse is Lua that prints a response the same way in every case.
const showResponse = `
local http = require("protocols.http")
local function show(res, err)
  if not res then print("error: " .. err) return end
  print(res.status, res.reason, res.version)
  local names = {}
  for k in pairs(res.headers) do
    if k ~= "date" then names[#names + 1] = k end
  end
  table.sort(names)
  for _, k in ipairs(names) do print(k .. ": " .. res.headers[k]) end
  if res.trailers then
    for k, v in pairs(res.trailers) do print("trailer " .. k .. ": " .. v) end
  end
  print(("body %q"):format(res.body))
end
`

// goHTTPServer is net/http serving the cases the client must handle; it
// counts the connections it accepted.
func goHTTPServer(t *testing.T) (url string, conns func() int) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/fixed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "13")
		io.WriteString(w, "hello, world\n")
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Trailer", "X-Checksum")
		for _, part := range []string{"one ", "two ", "three"} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush() // each part its own chunk
		}
		w.Header().Set("X-Checksum", "abc123")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s host=%s ua=%s x=%s len=%d body=%s", r.Method, r.URL.RequestURI(), r.Host,
			r.UserAgent(), r.Header.Get("X-Test"), r.ContentLength, body)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/fixed", http.StatusFound)
	})
	mux.HandleFunc("/see-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "echo?after=303", http.StatusSeeOther)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/repeated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Many", "a")
		w.Header().Add("X-Many", "b")
		w.Header().Set("Content-Length", "0")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100000)))
	})
	var mu sync.Mutex
	n := 0
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// The client against Go's net/http: fixed length, chunked with
// trailers, HEAD, 204, repeated headers, a POST, redirects.
func TestHTTPClientAgainstGoServer(t *testing.T) {
	url, _ := goHTTPServer(t)
	host := strings.TrimPrefix(url, "http://")
	echoed := "POST /echo?q=1 host=" + host + " ua=netplay x=yes len=7 body=payload"
	cases := []struct{ name, code, want string }{
		{"fixed length", `show(http.get(URL .. "/fixed"))`,
			"200\tOK\tHTTP/1.1\nconnection: close\ncontent-length: 13\ncontent-type: text/plain\nbody \"hello, world\\n\"\n"},
		{"chunked with a trailer", `show(http.get(URL .. "/chunked"))`,
			"200\tOK\tHTTP/1.1\nconnection: close\ncontent-type: text/plain\ntrailer: X-Checksum\ntransfer-encoding: chunked\ntrailer x-checksum: abc123\nbody \"one two three\"\n"},
		{"HEAD has no body", `show(http.request{method = "HEAD", url = URL .. "/fixed"})`,
			"200\tOK\tHTTP/1.1\nconnection: close\ncontent-length: 13\ncontent-type: text/plain\nbody \"\"\n"},
		{"204 has no body", `show(http.get(URL .. "/nocontent"))`,
			"204\tNo Content\tHTTP/1.1\nconnection: close\nbody \"\"\n"},
		{"repeated header", `local res = assert(http.get(URL .. "/repeated"))
			print(res.headers["x-many"])
			for _, h in ipairs(res.header_list) do if h[1] == "X-Many" then print(h[2]) end end`,
			"a, b\na\nb\n"},
		{"POST with a body and headers", `show(http.request{method = "POST", url = URL .. "/echo?q=1", headers = {["X-Test"] = "yes"}, body = "payload"})`,
			fmt.Sprintf("200\tOK\tHTTP/1.1\nconnection: close\ncontent-length: %d\ncontent-type: text/plain\nbody %q\n", len(echoed), echoed)},
		{"redirect not followed", `local res = assert(http.get(URL .. "/redirect")) print(res.status, res.headers.location)`,
			"302\t/fixed\n"},
		{"redirect followed when asked", `local res = assert(http.get(URL .. "/redirect", {redirects = 3})) print(res.status, res.body, res.url == URL .. "/fixed")`,
			"200\thello, world\n\ttrue\n"},
		{"303 turns a POST into a GET to a relative location", `local res = assert(http.request{method = "POST", url = URL .. "/see-other", body = "x", redirects = 1}) print(res.body)`,
			"GET /echo?after=303 host=HOST ua=netplay x= len=0 body=\n"},
		{"redirect loop", `print(http.get(URL .. "/loop", {redirects = 4}))`,
			"nil\tmore than 4 redirects\n"},
		{"body over max_body", `print(http.get(URL .. "/big", {max_body = 1000}))`,
			"nil\tbody larger than 1000 bytes\n"},
		{"body of 100000 bytes read in pieces", `print(#assert(http.get(URL .. "/big")).body)`,
			"100000\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := luatest.MustRun(t, showResponse+c.code, map[string]any{"URL": url})
			got := r.Stdout
			if !strings.Contains(c.want, host) {
				got = strings.ReplaceAll(got, host, "HOST")
			}
			if got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// https: the client against Go's TLS server, trusting its certificate
// (tls = {ca = PEM}), over kept-alive connections; with no ca the
// certificate is refused, and a name that is not the certificate's too.
func TestHTTPSClientAgainstGoTLSServer(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s over %s", r.Method, r.URL.Path, map[bool]string{true: "TLS", false: "plain"}[r.TLS != nil])
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	r := luatest.MustRun(t, showResponse+`
		local c = http.client({tls = {ca = CA}, timeout = 10})
		for i = 1, 3 do
			local res = assert(c:get(URL .. "/n" .. i))
			print(res.status, res.body)
		end
		c:close()
		print(http.get(URL .. "/x", {timeout = 10}))
		print(http.get(URL .. "/x", {tls = {ca = CA, servername = "example.test"}, timeout = 10}))
	`, map[string]any{"URL": srv.URL, "CA": certPEM})
	want := "200\tGET /n1 over TLS\n200\tGET /n2 over TLS\n200\tGET /n3 over TLS\n" +
		"nil\ttls: unknown certificate authority\n" +
		"nil\ttls: certificate is valid for example.com, *.example.com, not example.test\n"
	if r.Stdout != want {
		t.Fatalf("got:\n%s\nwant:\n%s", r.Stdout, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 3 { // the 3 requests on one kept-alive connection, 2 refused handshakes
		t.Fatalf("%d connections, want 3", conns)
	}
}

// A client from http.client() sends every request on one connection;
// http.get opens one per request.
func TestHTTPClientKeepAlive(t *testing.T) {
	url, conns := goHTTPServer(t)
	r := luatest.MustRun(t, showResponse+`
		local c = http.client()
		for i = 1, 3 do
			for _, path in ipairs({"/fixed", "/chunked", "/nocontent", "/echo"}) do
				local res = assert(c:get(URL .. path))
				assert(res.status == 200 or res.status == 204, path)
			end
		end
		print("client opened", c.opened)
		c:close()
	`, map[string]any{"URL": url})
	if r.Stdout != "client opened\t1\n" || conns() != 1 {
		t.Fatalf("stdout %q; the server saw %d connections, want 1", r.Stdout, conns())
	}
	luatest.MustRun(t, showResponse+`for i = 1, 3 do assert(http.get(URL .. "/fixed")) end`, map[string]any{"URL": url})
	if conns() != 4 {
		t.Fatalf("http.get: the server saw %d connections in all, want 1 + 3", conns())
	}
}

// readRequestHead reads a request's lines up to the blank line that ends
// its headers (a deadline bounds it).
func readRequestHead(c net.Conn) {
	c.SetDeadline(time.Now().Add(testTimeout))
	rd := bufio.NewReader(c)
	for {
		line, err := rd.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

// rawHTTPPeer answers every connection with the same bytes, after the
// request's headers, then closes; it counts connections.
func rawHTTPPeer(t *testing.T, response string) net.Addr {
	t.Helper()
	return luatest.ServeTCP(t, func(c net.Conn) {
		readRequestHead(c)
		c.Write([]byte(response))
	})
}

// What the client says about responses it cannot read, and the chunked
// details net/http never sends (extensions, several trailers).
func TestHTTPClientAgainstRawPeers(t *testing.T) {
	cases := []struct{ name, response, want string }{
		{"malformed status line", "HTTP/1.1 OK\r\n\r\n", "error: bad status line: \"HTTP/1.1 OK\"\n"},
		{"not HTTP at all", "SSH-2.0-OpenSSH_9.2\r\n", "error: bad status line: \"SSH-2.0-OpenSSH_9.2\"\n"},
		{"status without reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", "200\t\tHTTP/1.1\ncontent-length: 2\nbody \"ok\"\n"},
		{"header without a colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok", "error: bad header line: \"Content-Length 2\"\n"},
		{"obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\n\r\n", "error: bad header line: \"  continued\"\n"},
		{"space before the colon", "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", "error: bad header line: \"X-A : 1\"\n"},
		{"chunk extensions and trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6 ; x=\"y\"\r\n world\r\n0\r\nX-One: 1\r\nX-Two: 2\r\n\r\n",
			"200\tOK\tHTTP/1.1\ntransfer-encoding: chunked\ntrailer x-one: 1\ntrailer x-two: 2\nbody \"hello world\"\n"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "error: bad chunk size line: \"zz\"\n"},
		{"chunk data too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", "error: bad chunk: \"llo\" after its data, not \\r\\n\n"},
		{"chunked body cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "error: closed\n"},
		{"content-length cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "error: closed after 5 of 10 body bytes\n"},
		{"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "error: bad content-length \"-1\"\n"},
		{"conflicting content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "error: bad content-length \"5, 6\"\n"},
		{"body to the end of the stream", "HTTP/1.0 200 OK\r\n\r\nall of it", "200\tOK\tHTTP/1.0\nbody \"all of it\"\n"},
		{"100 Continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "200\tOK\tHTTP/1.1\ncontent-length: 2\nbody \"ok\"\n"},
		{"status line too long", "HTTP/1.1 200 " + strings.Repeat("x", 9000) + "\r\n\r\n", "error: line longer than 8192 bytes\n"},
		{"too many headers", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: 1\r\n", 101) + "\r\n", "error: more than 100 header lines\n"},
		{"headers too long", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: "+strings.Repeat("y", 8000)+"\r\n", 9) + "\r\n", "error: headers longer than 65536 bytes\n"},
		{"closed before a response", "", "error: closed\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := rawHTTPPeer(t, c.response)
			r := luatest.MustRun(t, showResponse+`show(http.get("http://" .. ADDR .. "/"))`, map[string]any{"ADDR": addr})
			if r.Stdout != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", r.Stdout, c.want)
			}
		})
	}
}

// A kept-alive connection the server closed while it was idle: the next
// request goes out again on a new connection.
func TestHTTPClientRetriesAConnectionClosedWhileIdle(t *testing.T) {
	addr := rawHTTPPeer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") // then closes, without saying so
	r := luatest.MustRun(t, showResponse+`
		local c = http.client()
		for i = 1, 3 do
			local res, err = c:get("http://" .. ADDR .. "/")
			print(res and res.body, err)
		end
		print("opened", c.opened)
	`, map[string]any{"ADDR": addr})
	if want := "ok\tnil\nok\tnil\nok\tnil\nopened\t3\n"; r.Stdout != want {
		t.Fatalf("got %q, want %q", r.Stdout, want)
	}
}

func TestHTTPClientMisuse(t *testing.T) {
	cases := []struct{ code, want string }{
		{`print(http.get("ftp://example.com/"))`, "nil\tunsupported scheme \"ftp\"\n"},
		{`print(http.get("example.com/path"))`, "nil\tbad url \"example.com/path\": want http://host[:port]/path\n"},
		{`print(http.get("http://user:pw@example.com/"))`, "nil\tcredentials in the url are not supported\n"},
		{`print(pcall(http.request, {url = "http://127.0.0.1:1/", headers = {["X-A"] = "1\r\nX-B: 2"}}))`, "false\thttp: header X-A has a CR, LF or NUL in its value\n"},
		{`print(pcall(http.request, {url = "http://127.0.0.1:1/", headers = {["Bad Name"] = "1"}}))`, "false\thttp: bad header name \"Bad Name\"\n"},
		{`print(pcall(http.request, {}))`, "false\thttp: request needs a url\n"},
	}
	for _, c := range cases {
		r := luatest.MustRun(t, showResponse+c.code, nil)
		if r.Stdout != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.code, r.Stdout, c.want)
		}
	}
}

// startPythonHTTP runs python3 -m http.server over dir on a free port
// (HTTP/1.1, so it keeps connections alive) and returns its base url.
// Without python3 the test is skipped, except under CI.
func startPythonHTTP(t *testing.T, dir string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 not found")
		}
		t.Skip("python3 not found")
	}
	cmd := exec.Command(py, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir, "--protocol", "HTTP/1.1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	select {
	case line, ok := <-lines:
		m := regexp.MustCompile(`port (\d+)`).FindStringSubmatch(line)
		if !ok || m == nil {
			t.Fatalf("python3 -m http.server said %q", line)
		}
		return "http://127.0.0.1:" + m[1]
	case <-time.After(testTimeout):
		t.Fatal("python3 -m http.server did not start")
	}
	return ""
}

// The client against something we did not write: Python's http.server.
func TestHTTPClientAgainstPythonServer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello from python\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), []byte(strings.Repeat("0123456789", 50000)), 0o644)
	url := startPythonHTTP(t, dir)
	r := luatest.MustRun(t, showResponse+`
		local res = assert(http.get(URL .. "/hello.txt"))
		print(res.status, res.reason, res.version, res.headers["content-length"], res.headers["content-type"])
		print(("%q"):format(res.body))
		local c = http.client()
		for i = 1, 3 do
			local r = assert(c:get(URL .. "/big.bin"))
			assert(#r.body == 500000 and r.body:sub(1, 10) == "0123456789")
		end
		print("three 500 kB files on", c.opened, "connection")
		local missing = assert(c:get(URL .. "/missing"))
		print(missing.status, missing.reason, missing.headers.connection)
		assert(c:get(URL .. "/hello.txt"))
		print("after its 404 closed the connection:", c.opened, "connections")
		local listing = assert(c:get(URL .. "/"))
		print(listing.status, listing.body:find("hello.txt", 1, true) ~= nil)
		c:close()
	`, map[string]any{"URL": url})
	want := "200\tOK\tHTTP/1.1\t18\ttext/plain\n\"hello from python\\n\"\n" +
		"three 500 kB files on\t1\tconnection\n" +
		"404\tFile not found\tclose\n" +
		"after its 404 closed the connection:\t2\tconnections\n" +
		"200\ttrue\n"
	if r.Stdout != want {
		t.Fatalf("got:\n%s\nwant:\n%s", r.Stdout, want)
	}
}

// A response that arrives one byte at a time reads the same.
func TestHTTPClientResponseSplitIntoBytes(t *testing.T) {
	response := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;ext\r\nhello\r\n6\r\n world\r\n0\r\nX-T: done\r\n\r\n"
	addr := luatest.ServeTCP(t, func(c net.Conn) {
		readRequestHead(c)
		for i := 0; i < len(response); i++ {
			if _, err := c.Write([]byte{response[i]}); err != nil {
				return
			}
		}
	})
	r := luatest.MustRun(t, showResponse+`show(http.get("http://" .. ADDR .. "/"))`, map[string]any{"ADDR": addr})
	want := "200\tOK\tHTTP/1.1\ntransfer-encoding: chunked\nx-a: 1\ntrailer x-t: done\nbody \"hello world\"\n"
	if r.Stdout != want {
		t.Fatalf("got:\n%s\nwant:\n%s", r.Stdout, want)
	}
}
