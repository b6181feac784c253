package tracer

import (
	"fmt"
	"strings"
	"testing"

	"netplay/runtime/framing"
	"netplay/runtime/wiretrace"
)

type codecFramer struct{ c framing.Codec }

func (cf codecFramer) FrameSize(buf []byte) (int, int, int, bool) {
	return framing.FrameSize(cf.c, buf)
}

// Chunks counted against frames: which frames each chunk carries and how
// far each has come, for every codec, with chunks cut anywhere.
func TestTrackSaysHowFarEachFrameHasCome(t *testing.T) {
	header, _ := framing.Header(10, 1<<20)
	u16, _ := framing.Uint(2, false, 1<<20)
	line, _ := framing.Line("\n", 1<<20)
	fixed, _ := framing.Fixed(4, 1<<20)
	cases := []struct {
		name   string
		codec  framing.Codec
		chunks []string
		want   []string
	}{
		{"header split", header, []string{"22 ", "       We", "lcome to the server!"}, []string{
			"frame 1: header 3/10, body 0/?",
			"frame 1: header 10/10, body 2/22",
			"frame 1: header 10/10, body 22/22",
		}},
		{"two frames in one read", header, []string{"2         hi3         abc"}, []string{
			"frame 1: header 10/10, body 2/2 | frame 2: header 10/10, body 3/3",
		}},
		{"a read ending inside the next header", header, []string{"2         hi3    ", "     abc"}, []string{
			"frame 1: header 10/10, body 2/2 | frame 2: header 5/10, body 0/?",
			"frame 2: header 10/10, body 3/3",
		}},
		{"binary prefix", u16, []string{"\x00", "\x03ab", "c\x00\x01z"}, []string{
			"frame 1: header 1/2, body 0/?",
			"frame 1: header 2/2, body 2/3",
			"frame 1: header 2/2, body 3/3 | frame 2: header 2/2, body 1/1",
		}},
		{"line", line, []string{"hel", "lo\nwor", "ld\n"}, []string{
			"frame 1: 3/?",
			"frame 1: 5/5 | frame 2: 3/?",
			"frame 2: 5/5",
		}},
		{"fixed", fixed, []string{"abcdef", "gh"}, []string{
			"frame 1: 4/4 | frame 2: 2/4",
			"frame 2: 4/4",
		}},
		{"empty frames", header, []string{"0         0         "}, []string{
			"frame 1: header 10/10, body 0/0 | frame 2: header 10/10, body 0/0",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st stream
			var got []string
			for _, ch := range c.chunks {
				var parts []string
				for _, sp := range st.track(codecFramer{c.codec}, []byte(ch)) {
					parts = append(parts, spanText(sp))
				}
				got = append(got, strings.Join(parts, " | "))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func text(s string) *string { return &s }

// Each kind of event as a line, and data as text, hex or cut.
func TestTextLines(t *testing.T) {
	base := wiretrace.Event{Rel: 1.5, Task: 3, Conn: "c1", Local: "127.0.0.1:5000", Remote: "127.0.0.1:61234"}
	ev := func(mod func(e *wiretrace.Event)) *wiretrace.Event {
		e := base
		mod(&e)
		return &e
	}
	long := strings.Repeat("x", 300)
	cases := []struct {
		ev   *wiretrace.Event
		hex  bool
		want string
	}{
		{ev(func(e *wiretrace.Event) { e.Event = "connect" }), false, "1.500000 task 3 c1 127.0.0.1:5000 -> 127.0.0.1:61234 connect\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "recv"; e.Dir = "in"; e.N = 8; e.Text = text("welcome ") }), false, "1.500000 task 3 c1 <- recv 8 \"welcome \"\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "send"; e.Dir = "out"; e.N = 3; e.B64 = "AAEC" }), false, "1.500000 task 3 c1 -> send 3\n    00000000: 0001 02                                  ...\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "send"; e.Dir = "out"; e.N = 2; e.Text = text("hi") }), true, "1.500000 task 3 c1 -> send 2\n    00000000: 6869                                     hi\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "recv"; e.Dir = "in"; e.N = 300; e.Text = text(long) }), false, "1.500000 task 3 c1 <- recv 300 \"" + long[:256] + "\" ... (+44 bytes)\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "eof"; e.Dir = "in" }), false, "1.500000 task 3 c1 <- end of stream\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "timeout"; e.Op = "recv" }), false, "1.500000 task 3 c1 timeout (recv)\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "reset"; e.Dir = "in" }), false, "1.500000 task 3 c1 <- connection reset\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "shutdown"; e.How = "w" }), false, "1.500000 task 3 c1 shutdown w\n"},
		{ev(func(e *wiretrace.Event) { e.Event = "error"; e.Op = "send"; e.Err = "broken pipe" }), false, "1.500000 task 3 c1 error (send): broken pipe\n"},
		{ev(func(e *wiretrace.Event) {
			e.Event = "frame"
			e.Dir = "in"
			e.FrameNo = 1
			e.N = 2
			e.Text = text("hi")
		}), false, "1.500000 task 3 c1 <- frame 1 complete (2 bytes) \"hi\"\n"},
	}
	for i, c := range cases {
		tx := &Text{Rel: true, Hex: c.hex, seen: map[string]bool{}}
		if i > 0 {
			tx.seen["c1"] = true // the endpoints were shown at the first event
		}
		if got := tx.Format(c.ev); got != c.want {
			t.Errorf("case %d:\ngot  %q\nwant %q", i, got, c.want)
		}
	}
}
