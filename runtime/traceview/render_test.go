package traceview

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"netplay/runtime/wiretrace"
)

func renderString(t *testing.T, events []wiretrace.Event, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, events, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// modelOf reads back the model the page carries.
func modelOf(t *testing.T, page string) *Model {
	t.Helper()
	const open = `<script type="application/json" id="model">`
	_, rest, ok := strings.Cut(page, open)
	data, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		t.Fatal("no model in the page")
	}
	var m Model
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("the page's model: %v", err)
	}
	return &m
}

// external are the ways an HTML page can reach outside itself.
var external = []*regexp.Regexp{
	regexp.MustCompile(`(?i)https?:`),
	regexp.MustCompile(`(?i)<link\b`),
	regexp.MustCompile(`(?i)<script[^>]*\bsrc\s*=`),
	regexp.MustCompile(`(?i)<(img|iframe|embed|object|audio|video|source|base|form)\b`),
	regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster)\s*=`),
	regexp.MustCompile(`(?i)url\s*\(`),
	regexp.MustCompile(`(?i)@import`),
	regexp.MustCompile(`["'(=]\s*//`), // a protocol-relative address
	regexp.MustCompile(`(?i)\b(fetch|XMLHttpRequest|WebSocket|importScripts|sendBeacon)\b`),
	regexp.MustCompile(`(?i)<meta[^>]*http-equiv\s*=\s*"?refresh`),
}

func TestPageIsSelfContained(t *testing.T) {
	for _, name := range []string{part1File, part2File} {
		page := renderString(t, readFixture(t, name), Options{Title: "netplay view: " + name})
		for _, re := range external {
			if loc := re.FindStringIndex(page); loc != nil {
				t.Errorf("%s: the page reaches outside itself: %q in %q", name, page[loc[0]:loc[1]], page[max(0, loc[0]-60):min(len(page), loc[1]+60)])
			}
		}
		if n := strings.Count(page, "<script"); n != 2 {
			t.Errorf("%d <script> elements, want 2 (the model and the inline script)", n)
		}
		if !strings.Contains(page, `http-equiv="Content-Security-Policy" content="default-src 'none';`) {
			t.Error("no Content-Security-Policy forbidding other sources")
		}
		// The one address the script may use is the live stream, relative.
		if strings.Count(page, "new EventSource(") != 1 || !strings.Contains(page, `new EventSource("events")`) {
			t.Error(`the script should open only EventSource("events")`)
		}
		if m := modelOf(t, page); len(m.Rows) != len(readFixture(t, name)) {
			t.Errorf("%s: the page's model has %d rows", name, len(m.Rows))
		}
	}
}

// Nothing in a trace can end the model's script element or become markup.
func TestPageEscapesTheTrace(t *testing.T) {
	evil := `</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>` + "\u2028"
	events := []wiretrace.Event{
		ev(1, `c1"></label><b>`, "connect", func(e *wiretrace.Event) { e.Local, e.Remote = "<i>:1", "&amp;:2" }),
		ev(2, `c1"></label><b>`, "send", func(e *wiretrace.Event) { withText(evil)(e); e.Dir = "out" }),
	}
	page := renderString(t, events, Options{Title: `</title><script>alert(3)</script>`})
	if strings.Count(page, "<script") != 2 {
		t.Error("the trace's text became a script element")
	}
	for _, raw := range []string{"<script>alert", "<img src=x", `"></label><b>`, "<i>:1", "\u2028"} {
		if strings.Contains(page, raw) {
			t.Errorf("the trace's %q is in the page as it is", raw)
		}
	}
	if !strings.Contains(page, "&lt;/title&gt;&lt;script&gt;alert(3)") {
		t.Error("the title is not escaped")
	}
	m := modelOf(t, page)
	if got := string(decode64(t, m.Rows[1].Data)); got != evil {
		t.Errorf("the bytes came back as %q", got)
	}
	if m.Conns[0].Name != `c1"></label><b>` || m.Lanes[0].Addr != "<i>:1" {
		t.Errorf("names changed on the way: %+v %+v", m.Conns[0], m.Lanes[0])
	}
}

// The script draws everything from the trace with textContent and
// setAttribute: never innerHTML, insertAdjacentHTML, document.write or eval.
func TestScriptNeverParsesTraceText(t *testing.T) {
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\""} {
		if strings.Contains(pageJS, bad) {
			t.Errorf("page.js uses %s", bad)
		}
	}
}
