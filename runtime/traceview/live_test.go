package traceview

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"netplay/runtime/wiretrace"
)

// liveTimeout bounds every exchange with a live server in these tests.
const liveTimeout = 10 * time.Second

func newLive(t *testing.T, opts LiveOptions) *Live {
	t.Helper()
	l, err := NewLive(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// get sends a GET with the given Host header and returns the status.
func get(t *testing.T, l *Live, path, host string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+l.Addr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestLiveListensOnLoopbackOnly(t *testing.T) {
	l := newLive(t, LiveOptions{})
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
		t.Fatalf("listening on %v, want 127.0.0.1 and a port", l.Addr())
	}
	want := fmt.Sprintf("http://127.0.0.1:%d/", addr.Port)
	token := strings.TrimSuffix(strings.TrimPrefix(l.URL(), want), "/")
	if !strings.HasPrefix(l.URL(), want) || len(token) != 32 || !strings.HasSuffix(l.URL(), "/") {
		t.Fatalf("URL %s, want %sTOKEN/ with a 128-bit token", l.URL(), want)
	}
	if other := newLive(t, LiveOptions{}); strings.Contains(other.URL(), token) {
		t.Error("two live views with the same token")
	}
}

func TestLiveRefusesRequestsWithoutTheToken(t *testing.T) {
	l := newLive(t, LiveOptions{})
	host := l.Addr().String()
	token := strings.Trim(strings.TrimPrefix(l.URL(), "http://"+host), "/")
	if code, body := get(t, l, "/"+token+"/", host); code != 200 || !strings.Contains(body, `"live":true`) {
		t.Fatalf("the page: %d, live model in it: %v", code, strings.Contains(body, `"live":true`))
	}
	for _, path := range []string{"/", "/events", "/index.html", "/" + token[:31] + "/", "/" + token + "x/", "/x" + token + "/events", "/" + strings.ToUpper(token) + "/", "/../" + token + "/"} {
		if code, _ := get(t, l, path, host); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := get(t, l, "/"+token+"/other", host); code != http.StatusNotFound {
		t.Errorf("GET /TOKEN/other: %d, want 404", code)
	}
}

func TestLiveChecksTheHostHeader(t *testing.T) {
	l := newLive(t, LiveOptions{})
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	path := strings.TrimPrefix(l.URL(), "http://"+l.Addr().String())
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LocalHost:" + port, "[::1]:" + port} {
		if code, _ := get(t, l, path, host); code != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, code)
		}
	}
	// A DNS-rebinding site reaches 127.0.0.1 under its own name.
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1", "127.0.0.1:1", "localhost", "127.0.0.2:" + port, "0.0.0.0:" + port, "localhost.evil.example:" + port} {
		for _, p := range []string{path, path + "events", "/"} {
			if code, _ := get(t, l, p, host); code != http.StatusForbidden {
				t.Errorf("Host %q, GET %s: %d, want 403", host, p, code)
			}
		}
	}
}

// An HTTP/1.0 request may leave the Host header out: refused too.
func TestLiveRefusesNoHost(t *testing.T) {
	l := newLive(t, LiveOptions{})
	conn, err := net.DialTimeout("tcp", l.Addr().String(), liveTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(liveTimeout))
	path := strings.TrimPrefix(l.URL(), "http://"+l.Addr().String())
	fmt.Fprintf(conn, "GET %s HTTP/1.0\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no Host header: %d, want 403", resp.StatusCode)
	}
}

func TestLiveOnlyGets(t *testing.T) {
	l := newLive(t, LiveOptions{})
	resp, err := http.Post(l.URL(), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no security headers")
	}
}

// sse reads server-sent events from a live view.
type sse struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// openStream opens GET /TOKEN/events on a plain connection.
func openStream(t *testing.T, l *Live) *sse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", l.Addr().String(), liveTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	path := strings.TrimPrefix(l.URL(), "http://"+l.Addr().String()) + "events"
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, l.Addr())
	s := &sse{t: t, conn: conn, r: bufio.NewReaderSize(conn, 1<<20)}
	conn.SetReadDeadline(time.Now().Add(liveTimeout))
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The body is chunked; read it through the response.
	s.r = bufio.NewReaderSize(resp.Body, 1<<20)
	return s
}

// next returns the next event's name and data.
func (s *sse) next() (string, string) {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(liveTimeout))
	var name, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func (s *sse) nextModel() *Model {
	s.t.Helper()
	name, data := s.next()
	if name != "model" {
		s.t.Fatalf("event %q, want model", name)
	}
	var m Model
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		s.t.Fatal(err)
	}
	return &m
}

func TestLiveStreamsEvents(t *testing.T) {
	l := newLive(t, LiveOptions{})
	events := readFixture(t, part1File)
	for _, e := range events[:4] {
		l.Publish(e)
	}
	// A page opened late gets the picture so far, then each event.
	s := openStream(t, l)
	first := s.nextModel()
	if !first.Reset || !first.Live || len(first.Rows) != 4 || len(first.Lanes) != 2 || len(first.Conns) != 3 {
		t.Fatalf("first model: reset %v live %v, %d rows, %d lanes, %d conns", first.Reset, first.Live, len(first.Rows), len(first.Lanes), len(first.Conns))
	}
	for _, e := range events[4:] {
		l.Publish(e)
		m := s.nextModel()
		if m.Reset || len(m.Rows) != 1 || m.Rows[0].Seq != e.Seq {
			t.Fatalf("after seq %d: %+v", e.Seq, m)
		}
	}
	// A second page gets everything at once.
	if m := openStream(t, l).nextModel(); len(m.Rows) != len(events) {
		t.Errorf("a new page got %d rows, want %d", len(m.Rows), len(events))
	}
	l.Close()
	if name, _ := s.next(); name != "end" {
		t.Errorf("after Close: %q, want end", name)
	}
	l.Publish(events[0]) // does nothing, does not block
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", l.Addr().String(), liveTimeout); err == nil {
		c.Close()
		t.Error("still listening after Close")
	}
}

// A page that does not read never holds Publish up: its queue drops the
// oldest changes, and the page is told how many rows it lost.
func TestLivePublishNeverBlocks(t *testing.T) {
	l := newLive(t, LiveOptions{Buffer: 64})
	s := openStream(t, l)
	s.nextModel()
	payload := strings.Repeat("x", 4096)
	const n = 20000 // 80 MB of JSON: far more than the sockets buffer
	start := time.Now()
	for i := range n {
		l.Publish(wiretrace.Event{Seq: i + 1, Conn: "c1", Proto: "tcp", Local: "127.0.0.1:1", Remote: "127.0.0.1:2",
			Event: "send", Dir: "out", N: len(payload), Offset: int64(i * len(payload)), Text: &payload})
	}
	if d := time.Since(start); d > liveTimeout {
		t.Fatalf("publishing %d events to a page that does not read took %v", n, d)
	}
	got, dropped := 0, 0
	for got+dropped < n {
		m := s.nextModel()
		got += len(m.Rows)
		dropped += m.Dropped
	}
	if dropped == 0 || got+dropped != n {
		t.Errorf("%d rows received, %d dropped, of %d", got, dropped, n)
	}
	t.Logf("%d rows received, %d dropped, publishing took %v", got, dropped, time.Since(start))
}

func TestLiveClientQueue(t *testing.T) {
	c := &liveClient{wake: make(chan struct{}, 1)}
	for i := range 10 {
		c.push(&Model{Lanes: []Lane{{ID: i}}, Rows: []*Row{{ID: i}, {ID: 100 + i}}}, 4)
	}
	l := &Live{}
	out := l.take(c)
	if len(out) != 5 || out[0].Dropped != 12 || len(out[0].Lanes) != 6 || out[1].Rows[0].ID != 6 {
		t.Fatalf("take: %d models, first %+v", len(out), out[0])
	}
	if len(l.take(c)) != 0 {
		t.Error("the queue is not empty after take")
	}
}

// A long session keeps its last History events for pages that open late,
// and says how many it forgot.
func TestLiveHistory(t *testing.T) {
	l := newLive(t, LiveOptions{History: 10})
	events := bigTrace(40)
	for _, e := range events {
		l.Publish(e)
	}
	m := openStream(t, l).nextModel()
	if len(m.Rows) < 10 || len(m.Rows) > 13 || m.Trimmed+len(m.Rows) != len(events) {
		t.Fatalf("a late page got %d rows, %d trimmed, of %d", len(m.Rows), m.Trimmed, len(events))
	}
	if last := m.Rows[len(m.Rows)-1]; last.Seq != events[len(events)-1].Seq {
		t.Errorf("the last row is seq %d", last.Seq)
	}
}
