package wiretrace

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func text(s string) *string { return &s }

// base events, one valid event of each kind, changed by the cases below.
func validEvent(kind string) Event {
	e := Event{Seq: 1, Time: 1764115200.5, Rel: 0.5, Conn: "c1", Proto: "tcp", Event: kind,
		Local: "127.0.0.1:61234", Remote: "127.0.0.1:5000"}
	switch kind {
	case Listen:
		e.Conn, e.Remote = "l1", ""
	case Accept:
		e.Via = "l1"
	case Send:
		e.Dir, e.N, e.Text = "out", 8, text("welcome ")
	case Recv:
		e.Dir, e.N, e.Offset, e.Text = "in", 8, 8, text("to the s")
		e.Frames = []FrameSpan{{Frame: 1, HeaderHave: 10, HeaderWant: 10, BodyHave: 6, BodyWant: 22}}
	case EOF:
		e.Dir, e.Offset = "in", 22
	case Reset:
		e.Dir = "in"
	case Shutdown:
		e.How = "w"
	case Timeout:
		e.Op = "recv"
	case Error:
		e.Op, e.Err = "connect", "connection refused"
	case TLS:
		e.TLSVersion = "TLS 1.3"
	case Shape:
		e.Action, e.N = "split", 3
	case Frame:
		e.Dir, e.FrameNo, e.Start, e.End, e.Header, e.N = "in", 1, 0, 32, 10, 22
		e.Text, e.Codec = text("Welcome to the server!"), "header(10)"
	}
	return e
}

func TestValidate(t *testing.T) {
	for kind := range kinds {
		if err := Validate(validEvent(kind)); err != nil {
			t.Errorf("valid %s event: %v", kind, err)
		}
	}
	span := func(f, hh, hw, bh, bw int) FrameSpan { return FrameSpan{f, hh, hw, bh, bw} }
	cases := []struct {
		name   string
		kind   string
		change func(*Event)
		want   string // a part of the error; "" for valid
	}{
		{"unknown kind", Send, func(e *Event) { e.Event = "sned" }, `unknown event kind "sned"`},
		{"no kind", Send, func(e *Event) { e.Event = "" }, "no event kind"},
		{"seq 0", Close, func(e *Event) { e.Seq = 0 }, "seq must be 1 or more"},
		{"negative rel", Close, func(e *Event) { e.Rel = -1 }, "must not be negative"},
		{"no conn", Close, func(e *Event) { e.Conn = "" }, "no conn"},
		{"bad dir", Close, func(e *Event) { e.Dir = "up" }, `dir must be "in" or "out", not "up"`},
		{"send dir in", Send, func(e *Event) { e.Dir = "in" }, `send: dir must be "out", not "in"`},
		{"send no dir", Send, func(e *Event) { e.Dir = "" }, `dir must be "out"`},
		{"recv dir out", Recv, func(e *Event) { e.Dir = "out" }, `recv: dir must be "in"`},
		{"eof dir", EOF, func(e *Event) { e.Dir = "" }, `eof: dir must be "in"`},
		{"reset no dir", Reset, func(e *Event) { e.Dir = "" }, `dir must be "in" or "out"`},
		{"reset out", Reset, func(e *Event) { e.Dir = "out" }, ""},
		{"negative offset", Recv, func(e *Event) { e.Offset = -1 }, "must not be negative"},
		{"text and b64", Send, func(e *Event) { e.B64 = "d2VsY29tZSA=" }, "both text and b64"},
		{"b64 only", Send, func(e *Event) { e.Text, e.B64 = nil, "d2VsY29tZSA=" }, ""},
		{"bad b64", Send, func(e *Event) { e.Text, e.B64 = nil, "!!" }, "b64 is not base64"},
		{"no data", Send, func(e *Event) { e.Text = nil }, "no text or b64"},
		{"empty text", Send, func(e *Event) { e.Text, e.N = text(""), 0 }, ""},
		{"n too big", Recv, func(e *Event) { e.N = 9 }, "n is 9 but the data has 8 bytes"},
		{"cut counted", Recv, func(e *Event) { e.N, e.Cut = 300, 292 }, ""},
		{"cut wrong", Recv, func(e *Event) { e.N, e.Cut = 300, 2 }, "n is 300 but the data has 8 bytes and cut 2"},
		{"data on close", Close, func(e *Event) { e.Text = text("x") }, "belong to send, recv and frame"},
		{"listen no local", Listen, func(e *Event) { e.Local = "" }, "listen: no local"},
		{"connect no remote", Connect, func(e *Event) { e.Remote = "" }, "connect: no remote"},
		{"unix connect no remote", Connect, func(e *Event) { e.Remote, e.Proto = "", "unix" }, ""},
		{"accept no via", Accept, func(e *Event) { e.Via = "" }, "accept: no via"},
		{"accept no local", Accept, func(e *Event) { e.Local = "" }, "accept: no local"},
		{"shutdown how", Shutdown, func(e *Event) { e.How = "x" }, `how must be "r", "w" or "rw"`},
		{"timeout no op", Timeout, func(e *Event) { e.Op = "" }, "timeout: no op"},
		{"error no message", Error, func(e *Event) { e.Err = "" }, "error: no error"},
		{"tls error only", TLS, func(e *Event) { e.TLSVersion, e.Err = "", "bad certificate" }, ""},
		{"tls nothing", TLS, func(e *Event) { e.TLSVersion = "" }, "no tls_version or error"},
		{"shape no action", Shape, func(e *Event) { e.Action = "" }, "shape: no action"},
		{"spans on eof", EOF, func(e *Event) { e.Frames = []FrameSpan{span(1, 1, 10, 0, -1)} }, "frames spans belong to send and recv"},
		{"spans frame 0", Recv, func(e *Event) { e.Frames = []FrameSpan{span(0, 1, 10, 0, -1)} }, "frame 0 after frame 0"},
		{"spans out of order", Recv, func(e *Event) { e.Frames = []FrameSpan{span(2, 10, 10, 22, 22), span(1, 1, 10, 0, -1)} }, "frame 1 after frame 2"},
		{"spans two frames", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 10, 10, 22, 22), span(2, 3, 10, 0, -1)} }, ""},
		{"header over", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 11, 10, 0, -1)} }, "header_have 11 out of 0..10"},
		{"body over", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 10, 10, 23, 22)} }, "body_have 23 out of 0..22"},
		{"body want -2", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 10, 10, 0, -2)} }, "body_want -2"},
		{"body before header", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 5, 10, 1, 22)} }, "a body before the header is whole"},
		{"line codec span", Recv, func(e *Event) { e.Frames = []FrameSpan{span(1, 0, 0, 5, -1)} }, ""},
		{"frame no dir", Frame, func(e *Event) { e.Dir = "" }, `frame: dir must be "in" or "out"`},
		{"frame number 0", Frame, func(e *Event) { e.FrameNo = 0 }, "frame (its number) must be 1 or more"},
		{"frame end before start", Frame, func(e *Event) { e.Start, e.End = 40, 32 }, "a frame ends after it starts"},
		{"frame too short", Frame, func(e *Event) { e.End = 31 }, "too short for a 10-byte header and 22 bytes"},
		{"line frame", Frame, func(e *Event) { e.End, e.Header, e.N, e.Text = 6, 0, 5, text("hello") }, ""},
		{"frame fields on recv", Recv, func(e *Event) { e.FrameNo = 1 }, "belong to frame events"},
		{"end on send", Send, func(e *Event) { e.End = 8 }, "belong to frame events"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := validEvent(c.kind)
			c.change(&e)
			err := Validate(e)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Validate: %v, want no error", err)
			case c.want != "" && err == nil:
				t.Errorf("Validate: no error, want one with %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Errorf("Validate: %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestData(t *testing.T) {
	cases := []struct {
		e    Event
		want []byte
	}{
		{Event{Text: text("welcome ")}, []byte("welcome ")},
		{Event{Text: text("")}, []byte{}},
		{Event{B64: "AAH/"}, []byte{0, 1, 255}},
		{Event{B64: "!!"}, nil},
		{Event{}, nil},
	}
	for _, c := range cases {
		got := c.e.Data()
		if !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("Data() of %+v = %q, want %q", c.e, got, c.want)
		}
	}
}

func TestReadJSONL(t *testing.T) {
	var b strings.Builder
	for _, kind := range []string{Listen, Connect, Send, Recv, Frame} {
		line, err := json.Marshal(validEvent(kind))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteString("\n")
		if kind == Connect {
			b.WriteString("\n   \n") // blank lines are skipped
		}
	}
	good := b.String()
	events, err := ReadJSONL(strings.NewReader(good))
	if err != nil || len(events) != 5 {
		t.Fatalf("ReadJSONL: %d events, %v; want 5, nil", len(events), err)
	}
	if got := string(events[3].Data()); got != "to the s" {
		t.Errorf("recv data %q", got)
	}
	if events[3].Frames[0].BodyWant != 22 {
		t.Errorf("recv spans %+v", events[3].Frames)
	}
	// No newline after the last line; one byte at a time.
	events, err = ReadJSONL(iotest.OneByteReader(strings.NewReader(strings.TrimSuffix(good, "\n"))))
	if err != nil || len(events) != 5 {
		t.Fatalf("ReadJSONL without the last newline: %d events, %v", len(events), err)
	}

	bad := []struct {
		name, input, want string
	}{
		{"not json", good + "{oops\n", "line 8: not JSON"},
		{"unfinished", good + `{"seq": 1` + "\n", "line 8: not JSON: the object is not finished"},
		{"wrong type", good + `{"seq": "1"}` + "\n", `line 8: field "seq": string is not a int`},
		{"invalid event", `{"seq":1,"conn":"c1","event":"recv","dir":"out","n":1,"text":"x"}`, `line 1: recv: dir must be "in", not "out"`},
		{"two values", `{"seq":1,"conn":"c1","event":"close"} {}`, "line 1: more than one JSON value"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			events, err := ReadJSONL(strings.NewReader(c.input))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadJSONL: %v, want an error with %q", err, c.want)
			}
			if c.input != good && strings.HasPrefix(c.input, good) && len(events) != 5 {
				t.Errorf("%d events before the bad line, want 5", len(events))
			}
		})
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	e := validEvent(Send)
	e.Text, e.N = &long, len(long)
	line, _ := json.Marshal(e)
	events, err := ReadJSONL(bytes.NewReader(line))
	if err != nil || len(events) != 1 || events[0].N != len(long) {
		t.Fatalf("a 200 KiB line: %d events, %v", len(events), err)
	}
}

func TestReadJSONLReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ReadJSONL(io.MultiReader(strings.NewReader("\n\n"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("ReadJSONL: %v, want line 3 and the read error", err)
	}
}
