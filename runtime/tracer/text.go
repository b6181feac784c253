package tracer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"netplay/runtime/binpack"
	"netplay/runtime/wiretrace"
)

// DefaultShown is how many bytes of an event's data a trace line shows.
const DefaultShown = 256

// Text writes the trace as lines a person reads (--trace, --trace=hex):
//
//	15:04:05.000123 task 3 c1 127.0.0.1:50312 -> 127.0.0.1:1234 connect
//	15:04:05.000201 task 3 c1 <- recv 8 "welcome "
//
// A connection's two endpoints are shown the first time it appears, its
// short name after that. Data is an escaped string when it is text and a
// hex dump otherwise (always, with Hex); beyond Shown bytes it is cut with
// a count of the rest.
type Text struct {
	W     io.Writer
	Hex   bool // every data as a hex dump
	Rel   bool // time as seconds since the trace began, not the wall clock
	Shown int  // bytes of data shown (0: DefaultShown)
	seen  map[string]bool
}

// Event implements Sink.
func (t *Text) Event(ev *wiretrace.Event) {
	io.WriteString(t.W, t.Format(ev))
}

// Format renders one event as its line (and hex dump lines).
func (t *Text) Format(ev *wiretrace.Event) string {
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	var b strings.Builder
	if t.Rel {
		fmt.Fprintf(&b, "%.6f", ev.Rel)
	} else {
		sec := int64(ev.Time)
		usec := int64((ev.Time-float64(sec))*1e6 + 0.5)
		b.WriteString(time.Unix(sec, usec*1000).Format("15:04:05.000000"))
	}
	if ev.Task > 0 {
		fmt.Fprintf(&b, " task %d", ev.Task)
	}
	b.WriteString(" " + ev.Conn)
	if !t.seen[ev.Conn] && ev.Local != "" {
		t.seen[ev.Conn] = true
		b.WriteString(" " + ev.Local)
		if ev.Remote != "" {
			arrow := " -> "
			if ev.Event == wiretrace.Accept {
				arrow = " <- "
			}
			b.WriteString(arrow + ev.Remote)
		}
		if ev.TLS {
			b.WriteString(" (tls)")
		}
	}
	b.WriteString(" ")
	b.WriteString(t.describe(ev))
	b.WriteString("\n")
	if dump := t.dump(ev); dump != "" {
		b.WriteString(dump)
	}
	return b.String()
}

// arrow points the way the bytes go.
func arrow(ev *wiretrace.Event) string {
	switch ev.Dir {
	case "out":
		return "-> "
	case "in":
		return "<- "
	}
	return ""
}

// describe is the event's words after the connection.
func (t *Text) describe(ev *wiretrace.Event) string {
	switch ev.Event {
	case wiretrace.Send, wiretrace.Recv:
		s := fmt.Sprintf("%s%s %d%s", arrow(ev), ev.Event, ev.N, t.inline(ev))
		for _, sp := range ev.Frames {
			s += " | " + spanText(sp)
		}
		return s
	case wiretrace.Frame:
		if ev.Dir == "in" {
			return fmt.Sprintf("<- frame %d complete (%d bytes)%s", ev.FrameNo, ev.N, t.inline(ev))
		}
		return fmt.Sprintf("-> frame %d (%d bytes)%s", ev.FrameNo, ev.N, t.inline(ev))
	case wiretrace.EOF:
		return "<- end of stream"
	case wiretrace.Accept:
		if ev.Via != "" {
			return "accept (" + ev.Via + ")"
		}
		return "accept"
	case wiretrace.Shutdown:
		return "shutdown " + ev.How
	case wiretrace.Timeout:
		return "timeout (" + ev.Op + ")"
	case wiretrace.Reset:
		return arrow(ev) + "connection reset"
	case wiretrace.Error:
		return "error (" + ev.Op + "): " + ev.Err
	case wiretrace.Shape:
		s := "-> shape " + ev.Action
		if ev.N > 0 {
			s += fmt.Sprintf(" %d%s", ev.N, t.inline(ev))
		}
		return s
	case wiretrace.TLS:
		if ev.Err != "" {
			return "tls handshake failed: " + ev.Err
		}
		s := "tls " + ev.TLSVersion + " " + ev.Cipher
		if ev.ALPN != "" {
			s += " alpn " + ev.ALPN
		}
		return s
	}
	return ev.Event
}

// spanText is one frame's progress: "frame 1: header 10/10, body 6/22".
func spanText(sp wiretrace.FrameSpan) string {
	want := func(n int) string {
		if n < 0 {
			return "?"
		}
		return strconv.Itoa(n)
	}
	if sp.HeaderWant == 0 {
		return fmt.Sprintf("frame %d: %d/%s", sp.Frame, sp.BodyHave, want(sp.BodyWant))
	}
	return fmt.Sprintf("frame %d: header %d/%s, body %d/%s", sp.Frame, sp.HeaderHave, want(sp.HeaderWant), sp.BodyHave, want(sp.BodyWant))
}

// data is the event's bytes.
func data(ev *wiretrace.Event) []byte {
	if ev.Text != nil {
		return []byte(*ev.Text)
	}
	if ev.B64 != "" {
		p, _ := base64.StdEncoding.DecodeString(ev.B64)
		return p
	}
	return nil
}

// inline is the data on the event's line: an escaped string when it reads
// as text (and hex is not asked for).
func (t *Text) inline(ev *wiretrace.Event) string {
	p := data(ev)
	if len(p) == 0 || t.Hex || !isText(p) {
		return ""
	}
	shown, more := t.cut(p)
	s := " " + strconv.Quote(string(shown))
	if more > 0 {
		s += fmt.Sprintf(" ... (+%s bytes)", thousands(more))
	}
	return s
}

// dump is the hex dump under the event's line, for data that is not text
// (or for all data with Hex).
func (t *Text) dump(ev *wiretrace.Event) string {
	p := data(ev)
	if len(p) == 0 || (!t.Hex && isText(p)) {
		return ""
	}
	shown, more := t.cut(p)
	var b strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimRight(binpack.Hexdump(shown), "\n"), "\n") {
		b.WriteString("    " + strings.TrimRight(line, "\n") + "\n")
	}
	if more > 0 {
		fmt.Fprintf(&b, "    ... (+%s bytes)\n", thousands(more))
	}
	return b.String()
}

func (t *Text) cut(p []byte) ([]byte, int) {
	n := t.Shown
	if n <= 0 {
		n = DefaultShown
	}
	if len(p) <= n {
		return p, 0
	}
	return p[:n], len(p) - n
}

// isText: valid UTF-8 with few control bytes besides \r \n \t.
func isText(p []byte) bool {
	ctl := 0
	for _, r := range string(p) {
		if r == '\uFFFD' {
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			ctl++
		}
	}
	return ctl*8 <= len(p)
}

// thousands writes n with commas: 4,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// JSON writes the trace as JSON Lines (--trace=json, --record): one
// wiretrace.Event per line. Shown bounds the bytes of data kept per event
// (the rest counted in cut); 0 keeps every byte, as a recording does.
type JSON struct {
	W     io.Writer
	Shown int
}

// Event implements Sink.
func (j *JSON) Event(ev *wiretrace.Event) {
	out := *ev
	if p := data(ev); j.Shown > 0 && len(p) > j.Shown {
		out.Text, out.B64 = nil, ""
		setData(&out, p[:j.Shown])
		out.Cut = len(p) - j.Shown
	}
	line, err := json.Marshal(&out)
	if err != nil {
		return
	}
	j.W.Write(append(line, '\n'))
}
