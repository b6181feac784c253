package traceview

// The picture in a real browser: headless Chromium, driven with chromedp,
// loads the pages and clicks them. Without Chromium these tests skip,
// except under CI=true, where they fail: CI installs it (.ci/run).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"netplay/runtime/wiretrace"
)

const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds each browser test from start to end.
const browserTimeout = 90 * time.Second

var (
	screenshot      = flag.String("screenshot", "", "TestScreenshot: write a PNG of the page to this file (relative: to the module root)")
	screenshotTrace = flag.String("screenshot-trace", part2File, "TestScreenshot: the JSON Lines trace to draw")
	screenshotClick = flag.Int("screenshot-click", 0, "TestScreenshot: show the event with this seq and its hex dump (as the address #seq-N does)")
	screenshotSize  = flag.String("screenshot-size", "1400x900", "TestScreenshot: the PNG's size, WIDTHxHEIGHT pixels")
)

// browser is a headless Chromium with one tab, and what the tab did: its
// console messages and uncaught exceptions, and the URLs it requested.
type browser struct {
	t        *testing.T
	ctx      context.Context // the tab, bounded by browserTimeout
	mu       sync.Mutex
	console  []string
	requests []string
}

// newBrowser starts Chromium for t; it is stopped when t ends.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no browser at %s (%v): CI must run the browser tests (apt-get install chromium)", chromiumPath, err)
		}
		t.Skipf("no browser at %s: apt-get install chromium to run the browser tests", chromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{t: t}
	var wg sync.WaitGroup
	stopWatching := func() {}
	t.Cleanup(func() {
		stopWatching()
		cancelTab()
		cancelAlloc()
		wg.Wait()
	})

	// Start the browser; the first Run's context lives as long as the
	// browser, so bound the start with a timer instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Chromium (%s) does not start: %v", chromiumPath, err)
		}
	case <-time.After(browserTimeout / 3):
		cancelAlloc()
		<-started
		t.Fatalf("Chromium (%s) did not start within %v", chromiumPath, browserTimeout/3)
	}

	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	t.Cleanup(cancel)
	b.ctx = ctx
	watch, stop := context.WithCancel(tab)
	stopWatching = stop
	console := chromedp.Console(watch)
	requests := chromedp.Events(watch, network.RequestWillBeSent)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for ev, err := range requests {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is truthy and returns its value.
func waitFor[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(browserTimeout/2)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v", expr, err)
	}
	return v
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

// open loads a page and waits until it has drawn.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
	waitFor[bool](b, `document.body.dataset.ready === "1"`)
}

// checkClean fails the test on console errors, uncaught exceptions and
// requests to anything but allowed prefixes.
func (b *browser) checkClean(allowed ...string) {
	b.t.Helper()
	// One round trip to the page, so events already sent are in.
	eval[int](b, "1")
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		b.t.Errorf("console: %s", m)
	}
	for _, u := range b.requests {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(u, a)
		}
		if !ok {
			b.t.Errorf("the page requested %s", u)
		}
	}
}

func writePageFile(t *testing.T, events []wiretrace.Event) (string, *Model) {
	t.Helper()
	return writeTitledPage(t, events, "netplay view: test")
}

// writeTitledPage writes the page of events, titled title, to a file.
func writeTitledPage(t *testing.T, events []wiretrace.Event, title string) (string, *Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Render(f, events, Options{Title: title}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, Build(events, Options{})
}

func chunkCount(m *Model, conn string) int {
	n := 0
	for _, r := range chunks(m) {
		if conn == "" || r.Conn == conn {
			n++
		}
	}
	return n
}

func TestBrowserPart1(t *testing.T) {
	path, m := writePageFile(t, readFixture(t, part1File))
	b := newBrowser(t, 1400, 900)
	b.open("file://" + path)

	if n := b.count("#laneheadin .lanelabel"); n != 2 {
		t.Errorf("%d lane labels, want 2", n)
	}
	if n := b.count("#diagram line.laneline"); n != 2 {
		t.Errorf("%d lane lines, want 2", n)
	}
	if n := b.count("#diagram g.arrow"); n != 4 {
		t.Errorf("%d arrows, want 4 (one send, three recv)", n)
	}
	if n := b.count("#diagram g.arrow.recv"); n != 3 {
		t.Errorf("%d recv arrows, want 3", n)
	}
	if n := b.count("#diagram g.marker"); n != 5 {
		t.Errorf("%d markers, want 5 (listen, accept, close, eof, close)", n)
	}
	if n := b.count("#diagram g.link"); n != 1 {
		t.Errorf("%d links, want 1 (connect)", n)
	}
	// The arrows go from the server's lane to the client's.
	x := func(sel string) float64 {
		return eval[float64](b, fmt.Sprintf("document.querySelector(%q).x1.baseVal.value", sel))
	}
	if from, to := x(`g.arrow[data-seq="6"] line.shaft`), x(`#diagram line.laneline:nth-of-type(2)`); from >= to {
		t.Errorf("the first recv starts at x=%v, the client's lane is at x=%v", from, to)
	}

	// Clicking a chunk shows its bytes as xxd does.
	b.do(chromedp.Click(chromedp.CSS(`#diagram g.arrow[data-seq="7"] rect.hit`)))
	hex := waitFor[string](b, `!document.getElementById("hexpanel").hidden && document.getElementById("hex").textContent`)
	if want := "00000008: 746f 2074 6865 2073                      to the s"; hex != want {
		t.Errorf("hex dump of the second read:\n got %q\nwant %q", hex, want)
	}
	head := eval[string](b, `document.getElementById("hexhead").textContent`)
	if !strings.Contains(head, "c1 recv 8") || !strings.Contains(head, "stream bytes 8–16") {
		t.Errorf("hex dump heading %q", head)
	}
	b.do(chromedp.Click(chromedp.CSS(`#diagram g.arrow[data-seq="4"] rect.hit`)))
	hex = waitFor[string](b, `document.getElementById("hex").textContent.startsWith("00000000: 7765") && document.getElementById("hex").textContent`)
	if want := "00000000: 7765 6c63 6f6d 6520 746f 2074 6865 2073  welcome to the s\n00000010: 6572 7665 7221                           erver!"; hex != want {
		t.Errorf("hex dump of the send:\n got %q\nwant %q", hex, want)
	}

	// The filter hides a connection's arrows, and shows them again.
	b.do(chromedp.Click(chromedp.CSS(`#filters input[data-conn="c1"]`)))
	waitFor[bool](b, `document.querySelectorAll('#diagram g[data-conn="c1"]').length === 0`)
	if n := b.count("#diagram g.arrow"); n != 1 {
		t.Errorf("with c1 hidden: %d arrows, want 1 (c2's send)", n)
	}
	b.do(chromedp.Click(chromedp.CSS(`#filters input[data-conn="c1"]`)))
	waitFor[bool](b, `document.querySelectorAll("#diagram g.arrow").length === 4`)
	if status := eval[string](b, `document.getElementById("status").textContent`); !strings.HasPrefix(status, "10 events · 4 chunks · 3 sockets") {
		t.Errorf("status %q", status)
	}
	_ = m
	b.checkClean("file://")
}

func TestBrowserPart2Frames(t *testing.T) {
	events := readFixture(t, part2File)
	path, m := writePageFile(t, events)
	b := newBrowser(t, 1400, 2400) // tall enough for every row to be drawn
	b.open("file://" + path)
	if n, want := b.count("#diagram g.arrow"), chunkCount(m, ""); n != want {
		t.Errorf("%d arrows, want %d", n, want)
	}
	// The 78-byte read carries two whole frames: two [ and two ].
	read := `#diagram g.arrow[data-seq="75"] `
	if s, e := b.count(read+"path.tick.start"), b.count(read+"path.tick.end"); s != 2 || e != 2 {
		t.Errorf("the 78-byte read shows %d frame starts and %d ends, want 2 and 2", s, e)
	}
	if h, body := b.count(read+"rect.bar.h"), b.count(read+"rect.bar.b"); h != 2 || body != 2 {
		t.Errorf("the 78-byte read shows %d header and %d body parts, want 2 and 2", h, body)
	}
	// The 9-byte read ends inside the header: a start, no end.
	if s, e := b.count(`#diagram g.arrow[data-seq="62"] path.tick.start`), b.count(`#diagram g.arrow[data-seq="62"] path.tick.end`); s != 1 || e != 0 {
		t.Errorf("the 9-byte read: %d starts, %d ends; want 1, 0", s, e)
	}
	b.do(chromedp.Click(chromedp.CSS(read + "rect.hit")))
	hex := waitFor[string](b, `!document.getElementById("hexpanel").hidden && document.getElementById("hex").textContent`)
	if !strings.HasPrefix(hex, "00000047: 3239 2020 2020 2020 2020 5468 6520 7469  29        The ti\n") {
		t.Errorf("hex dump of the 78-byte read:\n%s", hex)
	}
	// Header bytes are marked in the dump.
	if hdr := eval[string](b, `[...document.querySelectorAll("#hex span.h")].map(e => e.textContent).join("|")`); !strings.HasPrefix(hdr, "32 39 20 20 20 20 20 20 20 20 ") && !strings.HasPrefix(hdr, "3239 2020 2020 2020 2020 ") {
		t.Errorf("header bytes in the dump: %q", hdr)
	}
	b.checkClean("file://")
}

func TestBrowserBigTrace(t *testing.T) {
	events := bigTrace(10000)
	path, m := writePageFile(t, events)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1400, 900)
	start := time.Now()
	b.open("file://" + path)
	wall := time.Since(start)
	readyMs, _ := strconv.Atoi(eval[string](b, `document.body.dataset.readyMs`))
	t.Logf("%d events (%d chunks, %d connections): %.1f MB of HTML; the page was drawn %d ms after navigation started (%v from the test's navigate to drawn)",
		len(events), chunkCount(m, ""), len(m.Conns), float64(info.Size())/1e6, readyMs, wall.Round(time.Millisecond))
	if readyMs > 15000 {
		t.Errorf("the page took %d ms to draw", readyMs)
	}
	// Only the rows near the viewport are in the DOM.
	drawn := b.count("#diagram g.arrow")
	if drawn == 0 || drawn > 300 {
		t.Errorf("%d arrows in the DOM for a 900px window", drawn)
	}
	// Scrolled to the end, the last rows are drawn.
	last := events[len(events)-1].Seq
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("scroller").scrollTop = 1e9`))
	waitFor[bool](b, fmt.Sprintf(`document.querySelector('#diagram g[data-seq="%d"]') !== null`, last))
	var lastChunk *Row
	for _, r := range chunks(m) {
		lastChunk = r
	}
	sel := fmt.Sprintf(`#diagram g.arrow[data-seq="%d"] rect.hit`, lastChunk.Seq)
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: "center"})`, sel)))
	b.do(chromedp.Click(chromedp.CSS(sel)))
	hex := waitFor[string](b, `!document.getElementById("hexpanel").hidden && document.getElementById("hex").textContent`)
	if want := fmt.Sprintf("%08x: ", lastChunk.Offset); !strings.HasPrefix(hex, want) {
		t.Errorf("hex dump of the last chunk starts %q, want %q", hex[:min(len(hex), 20)], want)
	}
	// Hiding a connection lays the rest out again.
	hide := m.Conns[1].Name
	start = time.Now()
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#filters input[data-conn="%s"]`, hide))))
	waitFor[bool](b, `document.getElementById("status").textContent.includes("shown")`)
	t.Logf("hiding %s took %v", hide, time.Since(start).Round(time.Millisecond))
	if n := b.count(fmt.Sprintf(`#diagram g[data-conn="%s"]`, hide)); n != 0 {
		t.Errorf("%d rows of hidden %s drawn", n, hide)
	}
	b.checkClean("file://")
}

func TestBrowserLive(t *testing.T) {
	l := newLive(t, LiveOptions{Title: "netplay live: test"})
	events := readFixture(t, part1File)
	for _, e := range events[:5] {
		l.Publish(e)
	}
	b := newBrowser(t, 1400, 900)
	// Opened late: the events so far, then the stream.
	b.open(l.URL())
	waitFor[bool](b, `document.getElementById("status").textContent.startsWith("live · 5 events")`)
	if n := b.count("#diagram g.arrow"); n != 1 {
		t.Errorf("%d arrows before the reads, want 1", n)
	}
	for _, e := range events[5:] {
		l.Publish(e)
	}
	waitFor[bool](b, `document.querySelector('#diagram g.arrow[data-seq="8"]') !== null`)
	if n := b.count("#diagram g.arrow"); n != 4 {
		t.Errorf("%d arrows after the reads, want 4", n)
	}
	b.do(chromedp.Click(chromedp.CSS(`#diagram g.arrow[data-seq="8"] rect.hit`)))
	hex := waitFor[string](b, `!document.getElementById("hexpanel").hidden && document.getElementById("hex").textContent`)
	if want := "00000010: 6572 7665 7221                           erver!"; hex != want {
		t.Errorf("hex dump %q, want %q", hex, want)
	}
	// Frame boundaries that arrive after their chunks are drawn on them.
	for _, e := range readFixture(t, part2File) {
		e.Seq += 100
		e.Conn = "p" + e.Conn
		if e.Via != "" {
			e.Via = "p" + e.Via
		}
		l.Publish(e)
	}
	waitFor[bool](b, `document.getElementById("status").textContent.includes("90 events")`)
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("scroller").scrollTop = 1e9`))
	waitFor[bool](b, `document.querySelectorAll('#diagram g.arrow[data-seq="175"] path.tick').length === 4`)
	l.Close()
	waitFor[bool](b, `document.getElementById("status").textContent.startsWith("live trace ended")`)
	b.checkClean(l.URL())
}

// TestScreenshot draws a trace and saves a PNG, for the README: the page
// netplay view makes of the file (titled with its name), WIDTHxHEIGHT
// pixels, the page's own window without the browser's:
//
//	go test ./runtime/traceview -run TestScreenshot -args -screenshot docs/view.png [-screenshot-trace FILE] [-screenshot-click SEQ] [-screenshot-size WxH]
func TestScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("no -screenshot PATH")
	}
	events := readFixture(t, *screenshotTrace)
	var w, h int
	if _, err := fmt.Sscanf(*screenshotSize, "%dx%d", &w, &h); err != nil {
		t.Fatalf("-screenshot-size %q: %v", *screenshotSize, err)
	}
	path, _ := writeTitledPage(t, events, FileTitle(*screenshotTrace))
	b := newBrowser(t, w, h)
	// The window holds more than the page (headless Chromium keeps room
	// for its own bars): the viewport is set, so the PNG is w by h.
	b.do(chromedp.EmulateViewport(int64(w), int64(h)))
	url := "file://" + path
	if *screenshotClick != 0 {
		url += fmt.Sprintf("#seq-%d", *screenshotClick)
	}
	b.open(url)
	if *screenshotClick != 0 {
		waitFor[bool](b, `!document.getElementById("hexpanel").hidden`)
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	out := *screenshot
	if !filepath.IsAbs(out) {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// A page keeps up with a fast live trace, or says what it missed: every
// event is either drawn or counted as dropped, and the view follows the end.
func TestBrowserLiveFast(t *testing.T) {
	for _, buffer := range []int{0, 64} {
		t.Run(fmt.Sprintf("buffer %d", buffer), func(t *testing.T) { testLiveFast(t, buffer) })
	}
}

func testLiveFast(t *testing.T, buffer int) {
	l := newLive(t, LiveOptions{Buffer: buffer})
	b := newBrowser(t, 1400, 900)
	b.open(l.URL())
	waitFor[bool](b, `document.getElementById("status").textContent.startsWith("live · 0 events")`)
	events := bigTrace(10000)
	start := time.Now()
	for _, e := range events {
		l.Publish(e)
	}
	published := time.Since(start)
	status := waitFor[string](b, fmt.Sprintf(`(() => {
		const s = document.getElementById("status").textContent;
		const m = /(\d+) events.*?(?:(\d+) dropped)?$/.exec(s);
		return m && Number(m[1]) + Number(m[2] || 0) === %d && s;
	})()`, len(events)))
	t.Logf("published %d events in %v; the page shows %q %v after the first", len(events), published.Round(time.Millisecond), status, time.Since(start).Round(time.Millisecond))
	// The default queue holds the whole burst; a small one usually loses
	// some (how many depends on the machine's speed).
	if buffer == 0 && strings.Contains(status, "dropped") {
		t.Errorf("with the default queue: %q", status)
	}
	// Following the end: the last event is drawn.
	waitFor[bool](b, fmt.Sprintf(`document.querySelector('#diagram g[data-seq="%d"]') !== null`, events[len(events)-1].Seq))
	b.checkClean(l.URL())
}

// Every kind of event that is not a chunk is a marker on its lane.
func TestBrowserMarkers(t *testing.T) {
	at := func(e *wiretrace.Event) { e.Local, e.Remote = "127.0.0.1:40000", "127.0.0.1:5000" }
	with := func(f func(*wiretrace.Event)) func(*wiretrace.Event) {
		return func(e *wiretrace.Event) { at(e); f(e) }
	}
	events := []wiretrace.Event{
		ev(1, "c1", "connect", at),
		ev(2, "c1", "tls", with(func(e *wiretrace.Event) {
			e.TLSVersion, e.Cipher, e.ALPN, e.TLS = "TLS 1.3", "TLS_AES_128_GCM_SHA256", "h2", true
		})),
		ev(3, "c1", "shape", with(func(e *wiretrace.Event) { e.Action, e.N = "split", 3 })),
		ev(4, "c1", "timeout", with(func(e *wiretrace.Event) { e.Op = "recv" })),
		ev(5, "c1", "shutdown", with(func(e *wiretrace.Event) { e.How = "w" })),
		ev(6, "c1", "reset", with(func(e *wiretrace.Event) { e.Dir = "in" })),
		ev(7, "c1", "error", with(func(e *wiretrace.Event) { e.Op, e.Err = "send", "connection reset" })),
		ev(8, "c1", "eof", with(func(e *wiretrace.Event) { e.Dir = "in" })),
		ev(9, "c1", "close", at),
	}
	path, _ := writePageFile(t, events)
	b := newBrowser(t, 1400, 900)
	b.open("file://" + path)
	for _, e := range events[1:] {
		sel := fmt.Sprintf(`#diagram g.marker.k-%s[data-seq="%d"]`, e.Event, e.Seq)
		if n := b.count(sel + " circle.dot"); n != 1 {
			t.Errorf("%s: %d markers", sel, n)
		}
	}
	labels := eval[string](b, `[...document.querySelectorAll("#diagram g.marker text.label")].map(e => e.textContent).join("|")`)
	want := "c1 TLS 1.3 TLS_AES_128_GCM_SHA256 h2|c1 shape: split 3|c1 timeout: recv|c1 shutdown w|c1 reset by peer|c1 send: connection reset|c1 end of stream at 0|c1 close"
	if labels != want {
		t.Errorf("marker labels\n got %q\nwant %q", labels, want)
	}
	if n := b.count(`#diagram g.link.k-connect[data-seq="1"]`); n != 1 {
		t.Errorf("%d connect links", n)
	}
	b.checkClean("file://")
}

// inView is a JavaScript expression: the selected row lies wholly inside
// the scrolled diagram, not under the lane header or the hex panel.
const inView = `(() => {
	const g = document.querySelector("#diagram g.selected rect.hit");
	if (!g) return false;
	const r = g.getBoundingClientRect(), s = document.getElementById("scroller").getBoundingClientRect();
	return r.top >= s.top && r.bottom <= s.bottom;
})()`

// Showing an event's bytes keeps the event in view, and moves nothing
// that was in view already: #seq-N of a short trace leaves it as drawn,
// and a chunk clicked near the bottom is not hidden by the hex panel.
func TestBrowserSelectionStaysInView(t *testing.T) {
	path, _ := writePageFile(t, readFixture(t, part1File))
	b := newBrowser(t, 1000, 460)
	b.do(chromedp.EmulateViewport(1000, 460))
	b.open("file://" + path + "#seq-6")
	waitFor[bool](b, `!document.getElementById("hexpanel").hidden`)
	if top := eval[float64](b, `document.getElementById("scroller").scrollTop`); top != 0 {
		t.Errorf("#seq-6 of a trace that fits scrolled it to %v", top)
	}
	if !eval[bool](b, inView) {
		t.Error("#seq-6: the row is not in view")
	}

	path, _ = writePageFile(t, bigTrace(2000))
	b.open("file://" + path)
	// The lowest chunk wholly in view: the hex panel will open over it.
	seq := eval[int](b, `(() => {
		const s = document.getElementById("scroller").getBoundingClientRect();
		let best = 0, bottom = 0;
		for (const g of document.querySelectorAll("#diagram g.arrow")) {
			const r = g.querySelector("rect.hit").getBoundingClientRect();
			if (r.top >= s.top && r.bottom <= s.bottom && r.bottom > bottom) { best = Number(g.dataset.seq); bottom = r.bottom; }
		}
		return best;
	})()`)
	if seq == 0 {
		t.Fatal("no chunk in view")
	}
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#diagram g.arrow[data-seq="%d"] rect.hit`, seq))))
	waitFor[bool](b, `!document.getElementById("hexpanel").hidden`)
	if top := eval[float64](b, `document.getElementById("scroller").scrollTop`); top == 0 {
		t.Errorf("the click on chunk %d near the bottom did not scroll", seq)
	}
	if !eval[bool](b, inView) {
		t.Errorf("chunk %d, clicked near the bottom, went under the hex panel", seq)
	}
	b.checkClean("file://")
}

// A label longer than the room right of the last lane widens the diagram,
// so it can be scrolled to instead of being cut at the edge.
func TestBrowserLongLabelWidensTheDiagram(t *testing.T) {
	at := func(e *wiretrace.Event) { e.Local, e.Remote = "127.0.0.1:40000", "127.0.0.1:5000" }
	long := strings.Repeat("a long error message ", 8)
	events := []wiretrace.Event{
		ev(1, "c1", "connect", at),
		ev(2, "c1", "error", func(e *wiretrace.Event) { at(e); e.Op, e.Err = "recv", long }),
		ev(3, "c1", "close", at),
	}
	path, _ := writePageFile(t, events)
	b := newBrowser(t, 1000, 600)
	b.open("file://" + path)
	over := eval[float64](b, `(() => {
		const spacer = document.getElementById("spacer");
		const t = document.querySelector('#diagram g[data-seq="2"] text.label');
		return t.getBoundingClientRect().right - spacer.getBoundingClientRect().left - spacer.offsetWidth;
	})()`)
	if over > 0 {
		t.Errorf("the error's label ends %v px past the diagram", over)
	}
	if w, sw := eval[float64](b, `Number(document.getElementById("diagram").getAttribute("width"))`), eval[float64](b, `document.getElementById("spacer").offsetWidth`); w != sw {
		t.Errorf("the drawing is %v px wide, the scrolled area %v", w, sw)
	}
	b.checkClean("file://")
}
