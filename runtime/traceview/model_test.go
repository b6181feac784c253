package traceview

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"netplay/runtime/wiretrace"
)

func chunks(m *Model) []*Row {
	var out []*Row
	for _, r := range m.Rows {
		if r.Kind == wiretrace.Send || r.Kind == wiretrace.Recv {
			out = append(out, r)
		}
	}
	return out
}

func connByName(m *Model, name string) Conn {
	for _, c := range m.Conns {
		if c.Name == name {
			return c
		}
	}
	return Conn{}
}

func TestLayoutPart1(t *testing.T) {
	m := Build(readFixture(t, part1File), Options{})
	wantLanes := []Lane{{ID: 0, Addr: "127.0.0.1:5000", Role: "listener"}, {ID: 1, Addr: "127.0.0.1:61234"}}
	if !reflect.DeepEqual(m.Lanes, wantLanes) {
		t.Fatalf("lanes %+v, want %+v", m.Lanes, wantLanes)
	}
	// The listener and the connection it accepted share the server's lane.
	for name, lane := range map[string]int{"l1": 0, "c2": 0, "c1": 1} {
		if c := connByName(m, name); c.Lane != lane {
			t.Errorf("%s on lane %d, want %d", name, c.Lane, lane)
		}
	}
	if c1, c2 := connByName(m, "c1"), connByName(m, "c2"); c1.Peer != "c2" || c2.Peer != "c1" || c2.Via != "l1" {
		t.Errorf("c1 %+v, c2 %+v: want each the other's peer, c2 via l1", c1, c2)
	}
	// One arrow per chunk: the 22-byte send and the 8 + 8 + 6 reads, all
	// from the server's lane to the client's.
	type arrow struct {
		kind, conn string
		from, to   int
		n          int
		off        int64
		preview    string
	}
	var got []arrow
	for _, r := range chunks(m) {
		got = append(got, arrow{r.Kind, r.Conn, r.From, r.To, r.N, r.Offset, r.Preview})
		if r.Segs != nil {
			t.Errorf("seq %d: frames %+v on an unframed connection", r.Seq, r.Segs)
		}
	}
	want := []arrow{
		{"send", "c2", 0, 1, 22, 0, `"welcome to the server!"`},
		{"recv", "c1", 0, 1, 8, 0, `"welcome "`},
		{"recv", "c1", 0, 1, 8, 8, `"to the s"`},
		{"recv", "c1", 0, 1, 6, 16, `"erver!"`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrows\n got %+v\nwant %+v", got, want)
	}
	// The rest are markers on their lanes; connect is a link to the server.
	var markers []string
	for _, r := range m.Rows {
		if r.Kind != "send" && r.Kind != "recv" {
			markers = append(markers, fmt.Sprintf("%s %s %d>%d %s", r.Conn, r.Kind, r.From, r.To, r.Label))
		}
	}
	wantMarkers := []string{
		"l1 listen 0>-1 listen 127.0.0.1:5000",
		"c1 connect 1>0 connect",
		"c2 accept 0>-1 accept 127.0.0.1:61234 (l1)",
		"c2 close 0>-1 close",
		"c1 eof 1>-1 end of stream at 22",
		"c1 close 1>-1 close",
	}
	if !reflect.DeepEqual(markers, wantMarkers) {
		t.Errorf("markers\n got %q\nwant %q", markers, wantMarkers)
	}
}

func TestLayoutPart2FrameBoundaries(t *testing.T) {
	m := Build(readFixture(t, part2File), Options{})
	segs := map[string][]Seg{} // "c1 in 9" → segs of the chunk at offset 9
	for _, r := range chunks(m) {
		segs[fmt.Sprintf("%s %s %d", r.Conn, r.Dir, r.Offset)] = r.Segs
	}
	h := func(f, a, b int, s, e bool) Seg { return Seg{Frame: f, Part: "h", From: a, To: b, Start: s, End: e} }
	body := func(f, a, b int, s, e bool) Seg { return Seg{Frame: f, Part: "b", From: a, To: b, Start: s, End: e} }
	cases := map[string][]Seg{
		// the welcome in 3-byte pieces: "22 ", "   ", "   ", " We", ..., "r!"
		"c1 in 0":  {h(1, 0, 3, true, false)},
		"c1 in 3":  {h(1, 0, 3, false, false)},
		"c1 in 9":  {h(1, 0, 1, false, false), body(1, 1, 3, false, false)},
		"c1 in 12": {body(1, 0, 3, false, false)},
		"c1 in 30": {body(1, 0, 2, false, true)},
		"c2 out 9": {h(1, 0, 1, false, false), body(1, 1, 3, false, false)},
		// the time: a 9-byte read ends inside the 10-byte header
		"c1 in 32": {h(2, 0, 9, true, false)},
		"c1 in 41": {h(2, 0, 1, false, false), body(2, 1, 12, false, false)},
		"c1 in 53": {body(2, 0, 18, false, true)},
		// two whole frames in one read
		"c1 in 71": {h(3, 0, 10, true, false), body(3, 10, 39, false, true), h(4, 39, 49, true, false), body(4, 49, 78, false, true)},
	}
	for k, want := range cases {
		if got, ok := segs[k]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: segs %+v, want %+v", k, got, want)
		}
	}
	checkBoundaries(t, m, readFixture(t, part2File))
}

// checkBoundaries: every frame event's start and end fall on a chunk of
// its direction as a Start and an End at the right byte, and the chunks
// mark no other starts or ends.
func checkBoundaries(t *testing.T, m *Model, events []wiretrace.Event) {
	t.Helper()
	type mark struct {
		conn, dir string
		at        int64
		end       bool
		frame     int
	}
	want := map[mark]bool{}
	for _, e := range events {
		if e.Event == wiretrace.Frame {
			want[mark{e.Conn, e.Dir, e.Start, false, e.FrameNo}] = true
			want[mark{e.Conn, e.Dir, e.End, true, e.FrameNo}] = true
		}
	}
	got := map[mark]bool{}
	for _, r := range chunks(m) {
		for _, s := range r.Segs {
			if s.Start {
				got[mark{r.Conn, r.Dir, r.Offset + int64(s.From), false, s.Frame}] = true
			}
			if s.End {
				got[mark{r.Conn, r.Dir, r.Offset + int64(s.To), true, s.Frame}] = true
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frame boundaries on the chunks\n got %v\nwant %v", got, want)
	}
}

func without(events []wiretrace.Event, drop func(*wiretrace.Event) bool) []wiretrace.Event {
	var out []wiretrace.Event
	for _, e := range events {
		if drop(&e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// The boundaries come out the same from the chunks' spans alone, from the
// frame events alone, and, for a reader whose trace says nothing of
// frames, from the sender's frames.
func TestFrameBoundariesFromEitherSource(t *testing.T) {
	events := readFixture(t, part2File)
	full := chunkSegs(Build(events, Options{}))
	spansOnly := without(events, func(e *wiretrace.Event) bool { return e.Event == wiretrace.Frame })
	eventsOnly := without(events, func(e *wiretrace.Event) bool { e.Frames = nil; return false })
	readerBare := without(events, func(e *wiretrace.Event) bool {
		if e.Conn == "c1" {
			e.Frames = nil
			return e.Event == wiretrace.Frame
		}
		return false
	})
	for name, evs := range map[string][]wiretrace.Event{"spans only": spansOnly, "frame events only": eventsOnly, "reader borrows": readerBare} {
		if got := chunkSegs(Build(evs, Options{})); !reflect.DeepEqual(got, full) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, full)
		}
	}
}

func chunkSegs(m *Model) map[int][]Seg {
	out := map[int][]Seg{}
	for _, r := range chunks(m) {
		out[r.Seq] = r.Segs
	}
	return out
}

// Laid out one event at a time with a Flush after each (as Live does), the
// rows, and the updates applied to them, end as the whole trace's layout.
func TestIncrementalLayout(t *testing.T) {
	for _, events := range [][]wiretrace.Event{readFixture(t, part1File), readFixture(t, part2File), bigTrace(3000)} {
		whole := Build(events, Options{})
		b := NewBuilder(Options{})
		var rows []*Row
		lanes := map[int]Lane{}
		conns := map[string]Conn{}
		for _, e := range events {
			b.Add(e)
			d := b.Flush()
			if d == nil {
				continue
			}
			for _, l := range d.Lanes {
				lanes[l.ID] = l
			}
			for _, c := range d.Conns {
				conns[c.Name] = c
			}
			rows = append(rows, d.Rows...)
			for _, u := range d.Updates {
				rows[u.ID] = u
			}
		}
		if b.Flush() != nil {
			t.Error("Flush with nothing new: not nil")
		}
		if len(rows) != len(whole.Rows) {
			t.Fatalf("%d rows, want %d", len(rows), len(whole.Rows))
		}
		for i := range rows {
			if !reflect.DeepEqual(rows[i], whole.Rows[i]) {
				t.Fatalf("row %d:\n got %+v\nwant %+v", i, rows[i], whole.Rows[i])
			}
		}
		if len(lanes) != len(whole.Lanes) || len(conns) != len(whole.Conns) {
			t.Errorf("%d lanes, %d conns; want %d, %d", len(lanes), len(conns), len(whole.Lanes), len(whole.Conns))
		}
		for _, c := range whole.Conns {
			if conns[c.Name] != c {
				t.Errorf("conn %+v, want %+v", conns[c.Name], c)
			}
		}
	}
}

// A snapshot stays as it was while the builder goes on.
func TestSnapshotIsStable(t *testing.T) {
	events := readFixture(t, part2File)
	b := NewBuilder(Options{})
	for _, e := range events[:20] {
		b.Add(e)
	}
	snap := b.Snapshot()
	before := fmt.Sprint(snap.Rows)
	var copies []Row
	for _, r := range snap.Rows {
		copies = append(copies, *r)
	}
	for _, e := range events[20:] {
		b.Add(e)
	}
	for i, r := range snap.Rows {
		if !reflect.DeepEqual(*r, copies[i]) {
			t.Fatalf("row %d changed after the snapshot: %+v, was %+v", i, *r, copies[i])
		}
	}
	if fmt.Sprint(snap.Rows) != before {
		t.Fatal("snapshot rows replaced")
	}
}

func ev(seq int, conn, kind string, f func(*wiretrace.Event)) wiretrace.Event {
	e := wiretrace.Event{Seq: seq, Rel: float64(seq) / 1000, Conn: conn, Proto: "tcp", Event: kind}
	if f != nil {
		f(&e)
	}
	return e
}

func withText(s string) func(*wiretrace.Event) {
	return func(e *wiretrace.Event) { e.Text, e.N = &s, len(s) }
}

// A listener on 0.0.0.0 shares its lane with the addresses clients reach
// it by.
func TestLanesOfAnUnspecifiedListener(t *testing.T) {
	events := []wiretrace.Event{
		ev(1, "l1", "listen", func(e *wiretrace.Event) { e.Local = "0.0.0.0:5000" }),
		ev(2, "c1", "connect", func(e *wiretrace.Event) { e.Local, e.Remote = "127.0.0.1:40000", "127.0.0.1:5000" }),
		ev(3, "c2", "accept", func(e *wiretrace.Event) { e.Local, e.Remote, e.Via = "127.0.0.1:5000", "127.0.0.1:40000", "l1" }),
		ev(4, "c1", "send", func(e *wiretrace.Event) { withText("hi")(e); e.Dir = "out" }),
	}
	m := Build(events, Options{})
	if len(m.Lanes) != 2 || m.Lanes[0].Addr != "0.0.0.0:5000" || m.Lanes[1].Addr != "127.0.0.1:40000" {
		t.Fatalf("lanes %+v", m.Lanes)
	}
	if r := m.Rows[3]; r.From != 1 || r.To != 0 {
		t.Errorf("the send goes %d→%d, want 1→0", r.From, r.To)
	}
	if c := connByName(m, "c2"); c.Lane != 0 || c.Peer != "c1" {
		t.Errorf("c2 %+v", c)
	}
}

// Datagrams go to the lane of each one's own peer.
func TestDatagramLanes(t *testing.T) {
	events := []wiretrace.Event{
		ev(1, "u1", "send", func(e *wiretrace.Event) {
			withText("ping")(e)
			e.Proto, e.Dir, e.Local, e.Remote = "udp", "out", "127.0.0.1:7000", "127.0.0.1:7001"
		}),
		ev(2, "u1", "recv", func(e *wiretrace.Event) {
			withText("pong")(e)
			e.Proto, e.Dir, e.Local, e.Remote = "udp", "in", "127.0.0.1:7000", "127.0.0.1:7002"
		}),
	}
	m := Build(events, Options{})
	if len(m.Lanes) != 3 {
		t.Fatalf("lanes %+v", m.Lanes)
	}
	if a, b := m.Rows[0], m.Rows[1]; a.From != 0 || a.To != 1 || b.From != 2 || b.To != 0 {
		t.Errorf("arrows %d→%d, %d→%d; want 0→1, 2→0", a.From, a.To, b.From, b.To)
	}
	if c := connByName(m, "u1"); c.Role != "datagram" || c.Remote != "" {
		t.Errorf("u1 %+v", c)
	}
}

func TestPreviewAndData(t *testing.T) {
	long := strings.Repeat("é", 30)
	cases := []struct {
		name  string
		f     func(*wiretrace.Event)
		max   int
		want  string
		cut   int
		bytes int
	}{
		{"text", withText("hi\n"), 0, `"hi\n"`, 0, 3},
		{"long text", withText(long), 0, `"` + strings.Repeat("é", 24) + `"…`, 0, 60},
		{"binary", func(e *wiretrace.Event) { e.B64, e.N = "AAEC//4QERITAA==", 10 }, 0, "hex 00 01 02 ff fe 10 11 12 …", 0, 10},
		{"cut by the trace", func(e *wiretrace.Event) { withText("abc")(e); e.N, e.Cut = 10, 7 }, 0, `"abc"…`, 7, 3},
		{"cut by MaxData", withText("abcdef"), 4, `"abcd"…`, 2, 4},
		{"html", withText("</script><b>"), 0, `"</script><b>"`, 0, 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ev(1, "c1", "send", c.f)
			e.Dir = "out"
			r := Build([]wiretrace.Event{e}, Options{MaxData: c.max}).Rows[0]
			if r.Preview != c.want || r.Cut != c.cut || len(decode64(t, r.Data)) != c.bytes {
				t.Errorf("preview %s cut %d data %d bytes; want %s, %d, %d", r.Preview, r.Cut, len(decode64(t, r.Data)), c.want, c.cut, c.bytes)
			}
		})
	}
}

// Past MaxTotalData, each chunk keeps only its first bytes; trimmed rows
// give their budget back.
func TestDataBudget(t *testing.T) {
	big := strings.Repeat("y", 1000)
	b := NewBuilder(Options{MaxTotalData: 2500})
	for i := range 5 {
		b.Add(ev(i+1, "c1", "send", func(e *wiretrace.Event) { withText(big)(e); e.Dir, e.Offset = "out", int64(i*1000) }))
	}
	var kept []int
	for _, r := range b.Snapshot().Rows {
		kept = append(kept, len(decode64(t, r.Data)))
		if len(decode64(t, r.Data))+r.Cut != 1000 {
			t.Errorf("row %d: %d bytes kept, %d cut", r.ID, len(decode64(t, r.Data)), r.Cut)
		}
	}
	if want := []int{1000, 1000, 1000, 256, 256}; !reflect.DeepEqual(kept, want) {
		t.Errorf("bytes kept %v, want %v", kept, want)
	}
	b.Trim(1)
	b.Add(ev(6, "c1", "send", func(e *wiretrace.Event) { withText(big)(e); e.Dir, e.Offset = "out", 5000 }))
	if rows := b.Snapshot().Rows; len(rows[len(rows)-1].Data) != len(base64.StdEncoding.EncodeToString([]byte(big))) {
		t.Error("after Trim the budget is not given back")
	}
}

// Trim forgets old rows and keeps laying out new ones.
func TestTrim(t *testing.T) {
	events := bigTrace(2000)
	b := NewBuilder(Options{})
	for i, e := range events {
		b.Add(e)
		b.Flush()
		if i%100 == 99 {
			b.Trim(300)
		}
	}
	snap := b.Snapshot()
	if len(snap.Rows) > 400 || snap.Trimmed+len(snap.Rows) != len(events) {
		t.Fatalf("%d rows kept, %d trimmed, of %d", len(snap.Rows), snap.Trimmed, len(events))
	}
	whole := Build(events, Options{})
	tail := whole.Rows[len(whole.Rows)-len(snap.Rows):]
	for i, r := range snap.Rows {
		if !reflect.DeepEqual(r, tail[i]) {
			t.Fatalf("row %d after trimming:\n got %+v\nwant %+v", r.ID, r, tail[i])
		}
	}
}

func decode64(t *testing.T, s string) []byte {
	t.Helper()
	p, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
