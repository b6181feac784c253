package traceview

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"netplay/runtime/wiretrace"
)

// LiveOptions shape a live view.
type LiveOptions struct {
	Title string // the page's title; "netplay live trace" if empty
	// Buffer bounds the changes queued for one page (default 16384, one
	// per event). A page that falls further behind loses the oldest and
	// is told how many it lost.
	Buffer int
	// History bounds the events kept for pages that open late (default
	// 100000); older ones are forgotten, and a late page is told how many.
	History int
	// MaxData and MaxTotalData bound the bytes kept for hex dumps, as
	// in Options.
	MaxData, MaxTotalData int
}

const (
	defaultBuffer  = 16384
	defaultHistory = 100000
	writeTimeout   = 30 * time.Second // for a page that stopped reading
	pingEvery      = 15 * time.Second
	closeGrace     = 2 * time.Second
)

// Live serves the trace page from 127.0.0.1 and streams events to every
// page that has it open, with server-sent events. A page opened late gets
// the picture so far, then the stream.
//
// Only this user's browser should read the traffic: Live listens on
// loopback only; its URL carries a random token, and a request without
// it gets 404; a request whose Host header is not 127.0.0.1:PORT,
// localhost:PORT or [::1]:PORT gets 403, so a web page on another origin
// (including a DNS-rebinding one) can neither load nor read the stream.
type Live struct {
	opts    LiveOptions
	ln      net.Listener
	srv     *http.Server
	token   string
	hosts   []string // the Host headers accepted
	done    chan struct{}
	serving sync.WaitGroup // the server
	streams sync.WaitGroup // the streams to pages

	mu      sync.Mutex
	b       *Builder
	clients map[*liveClient]struct{}
	closed  bool
}

// NewLive starts a live view on a free port of 127.0.0.1.
func NewLive(opts LiveOptions) (*Live, error) {
	if opts.Title == "" {
		opts.Title = "netplay live trace"
	}
	if opts.Buffer <= 0 {
		opts.Buffer = defaultBuffer
	}
	if opts.History <= 0 {
		opts.History = defaultHistory
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("traceview: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("traceview: %v", err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	l := &Live{
		opts:    opts,
		ln:      ln,
		token:   hex.EncodeToString(tok[:]),
		hosts:   []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port},
		done:    make(chan struct{}),
		b:       NewBuilder(Options{Title: opts.Title, MaxData: opts.MaxData, MaxTotalData: opts.MaxTotalData}),
		clients: map[*liveClient]struct{}{},
	}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	l.serving.Add(1)
	go func() {
		defer l.serving.Done()
		l.srv.Serve(ln)
	}()
	return l, nil
}

// URL is the page's address: http://127.0.0.1:PORT/TOKEN/.
func (l *Live) URL() string { return "http://" + l.hosts[0] + "/" + l.token + "/" }

// Addr is the address Live listens on.
func (l *Live) Addr() net.Addr { return l.ln.Addr() }

// Publish adds an event to the picture and sends it to every open page.
// It never waits for a page: each has a bounded queue, and a page that
// falls behind loses the oldest changes (and sees how many it lost).
// After Close it does nothing.
func (l *Live) Publish(ev wiretrace.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.b.Add(ev)
	m := l.b.Flush()
	if len(l.b.rows) > l.opts.History+l.opts.History/4 {
		l.b.Trim(l.opts.History)
	}
	if m == nil {
		return
	}
	for c := range l.clients {
		c.push(m, l.opts.Buffer)
	}
}

// Close stops the server: open pages are told the trace ended, and the
// connections are closed. It waits for the streams to stop.
func (l *Live) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	// The streams send what they have and "end", then return; one stuck
	// writing to a page that stopped reading is cut off by closing its
	// connection after closeGrace.
	streamsDone := make(chan struct{})
	go func() {
		l.streams.Wait()
		close(streamsDone)
	}()
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
	select {
	case <-streamsDone:
	case <-grace.C:
	}
	err := l.srv.Close()
	<-streamsDone
	l.serving.Wait()
	return err
}

// ServeHTTP serves GET /TOKEN/ (the page) and GET /TOKEN/events (the
// stream), to requests with an accepted Host header only.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'")
	if !l.hostAllowed(r.Host) {
		http.Error(w, "forbidden: this page answers to 127.0.0.1, localhost and [::1] only", http.StatusForbidden)
		return
	}
	if r.URL.Path == "/favicon.ico" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rest, ok := l.cutToken(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch rest {
	case "":
		http.Redirect(w, r, "/"+l.token+"/", http.StatusFound)
	case "/":
		h.Set("Content-Type", "text/html; charset=utf-8")
		writePage(w, &Model{Reset: true, Title: l.opts.Title, Live: true})
	case "/events":
		l.stream(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (l *Live) hostAllowed(host string) bool {
	for _, h := range l.hosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

// cutToken returns the path after /TOKEN, comparing in constant time.
func (l *Live) cutToken(path string) (string, bool) {
	seg, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if subtle.ConstantTimeCompare([]byte(seg), []byte(l.token)) != 1 {
		return "", false
	}
	if rest == "" && !strings.HasSuffix(path, "/") {
		return "", true
	}
	return "/" + rest, true
}

// stream sends the picture so far, then every change, as server-sent
// events named "model"; "end" when Live closes.
func (l *Live) stream(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		http.Error(w, "the live trace has ended", http.StatusServiceUnavailable)
		return
	}
	snap := l.b.Snapshot()
	snap.Live = true
	c := &liveClient{wake: make(chan struct{}, 1)}
	l.clients[c] = struct{}{}
	l.streams.Add(1)
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.clients, c)
		l.mu.Unlock()
		l.streams.Done()
	}()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	send := func(event string, models ...*Model) bool {
		buf.Reset()
		for _, m := range models {
			data, err := json.Marshal(m)
			if err != nil {
				continue
			}
			fmt.Fprintf(&buf, "event: %s\ndata: %s\n\n", event, data)
		}
		if event == "end" {
			buf.WriteString("event: end\ndata: {}\n\n")
		}
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("model", snap) {
		return
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			if !send("model", l.take(c)...) {
				return
			}
		case <-ping.C:
			rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-l.done:
			send("end", l.take(c)...)
			return
		}
	}
}

// take empties c's queue, a lost-changes notice first if it lost any.
func (l *Live) take(c *liveClient) []*Model {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*Model
	if c.lost.Dropped > 0 || len(c.lost.Lanes) > 0 || len(c.lost.Conns) > 0 {
		lost := c.lost
		out = append(out, &lost)
		c.lost = Model{}
	}
	out = append(out, c.queue...)
	c.queue = nil
	return out
}

// liveClient is one open page: the changes not yet sent to it.
type liveClient struct {
	queue []*Model
	lost  Model // what the dropped changes brought: their lanes and conns, and how many rows
	wake  chan struct{}
}

// push queues m, dropping the oldest change when the queue is full. The
// lanes and connections a dropped change brought still go to the page,
// with the number of rows it lost.
func (c *liveClient) push(m *Model, limit int) {
	if len(c.queue) >= limit {
		old := c.queue[0]
		c.queue = c.queue[1:]
		c.lost.Lanes = append(c.lost.Lanes, old.Lanes...)
		c.lost.Conns = append(c.lost.Conns, old.Conns...)
		c.lost.Dropped += len(old.Rows)
	}
	c.queue = append(c.queue, m)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
