package traceview

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"netplay/runtime/framing"
	"netplay/runtime/wiretrace"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/part2_split.jsonl from part2Split")
	gen    = flag.String("gen", "", "write a 10,000-event trace (JSON Lines) to this file, for netplay view")
)

// The fixtures, as the real trace will write them.
const (
	part1File = "testdata/part1_recv8_loop.jsonl"
	part2File = "testdata/part2_split.jsonl"
)

func readFixture(t testing.TB, name string) []wiretrace.Event {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := wiretrace.ReadJSONL(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return events
}

func TestWriteFixtures(t *testing.T) {
	if *update {
		var b bytes.Buffer
		if err := writeJSONL(&b, part2Split()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(part2File, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if *gen != "" {
		f, err := os.Create(*gen)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeJSONL(f, bigTrace(10000)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", *gen)
	}
}

// TestFixturesFollowTheSchema: every line is an Event exactly as
// encoding/json writes it (field order, fields left out when empty), seq
// counts from 1, and rel is time since the first event.
func TestFixturesFollowTheSchema(t *testing.T) {
	for _, name := range []string{part1File, part2File} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(raw))
			var first float64
			for n := 1; sc.Scan(); n++ {
				var e wiretrace.Event
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatalf("line %d: %v", n, err)
				}
				if err := wiretrace.Validate(e); err != nil {
					t.Errorf("line %d: %v", n, err)
				}
				again, _ := json.Marshal(e)
				if !bytes.Equal(again, sc.Bytes()) {
					t.Errorf("line %d is not as encoding/json writes it:\n got %s\nwant %s", n, sc.Bytes(), again)
				}
				if e.Seq != n {
					t.Errorf("line %d: seq %d", n, e.Seq)
				}
				if n == 1 {
					first = e.Time
				}
				if d := e.Time - first - e.Rel; d > 1e-5 || d < -1e-5 {
					t.Errorf("line %d: rel %v but time-first %v", n, e.Rel, e.Time-first)
				}
			}
		})
	}
}

// TestFixturesAreConsistent replays the fixtures' bytes: each direction's
// chunks follow each other without gaps, what one end reads is what the
// other sent, and the frames spans and frame events are what the real
// header(10) codec finds in the bytes.
func TestFixturesAreConsistent(t *testing.T) {
	for _, name := range []string{part1File, part2File} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			checkConsistent(t, readFixture(t, name))
		})
	}
	t.Run("bigTrace", func(t *testing.T) { checkConsistent(t, bigTrace(2000)) })
}

func checkConsistent(t *testing.T, events []wiretrace.Event) {
	t.Helper()
	type dirState struct {
		bytes    []byte
		frames   []wiretrace.Event
		framed   bool
		local    string
		remote   string
		finished bool
	}
	streams := map[[2]string]*dirState{}
	get := func(conn, dir string) *dirState {
		k := [2]string{conn, dir}
		if streams[k] == nil {
			streams[k] = &dirState{}
		}
		return streams[k]
	}
	for _, e := range events {
		switch e.Event {
		case wiretrace.Send, wiretrace.Recv:
			d := get(e.Conn, e.Dir)
			d.local, d.remote = e.Local, e.Remote
			if d.finished {
				t.Errorf("seq %d: %s after end of stream", e.Seq, e.Event)
			}
			if e.Offset != int64(len(d.bytes)) {
				t.Errorf("seq %d: %s %s offset %d, want %d", e.Seq, e.Conn, e.Event, e.Offset, len(d.bytes))
			}
			d.bytes = append(d.bytes, e.Data()...)
			if len(e.Frames) > 0 {
				d.framed = true
				want := headerSpans(t, d.bytes, e.Offset)
				if !reflect.DeepEqual(e.Frames, want) {
					t.Errorf("seq %d: frames %+v, the codec finds %+v", e.Seq, e.Frames, want)
				}
			}
		case wiretrace.EOF:
			d := get(e.Conn, "in")
			d.finished = true
			if e.Offset != int64(len(d.bytes)) {
				t.Errorf("seq %d: eof at %d after %d bytes", e.Seq, e.Offset, len(d.bytes))
			}
		case wiretrace.Frame:
			d := get(e.Conn, e.Dir)
			d.frames = append(d.frames, e)
		}
	}
	for k, d := range streams {
		if k[1] == "in" {
			// What one end read, the other sent (both ends in the trace).
			for pk, p := range streams {
				if pk[1] == "out" && p.local == d.remote && p.remote == d.local && !bytes.HasPrefix(p.bytes, d.bytes) {
					t.Errorf("%s read %q, but %s sent %q", k[0], d.bytes, pk[0], p.bytes)
				}
			}
		}
		if !d.framed {
			continue
		}
		codec, _ := framing.Header(10, 0)
		var want []wiretrace.Event
		for off := 0; ; {
			used, msg, err := codec.Decode(d.bytes[off:])
			if err != nil {
				t.Fatalf("%v: %v", k, err)
			}
			if used == 0 {
				break
			}
			text := string(msg)
			want = append(want, wiretrace.Event{FrameNo: len(want) + 1, Start: int64(off), End: int64(off + used), Header: 10, N: len(msg), Text: &text})
			off += used
		}
		if len(d.frames) != len(want) {
			t.Fatalf("%v: %d frame events, the codec finds %d frames", k, len(d.frames), len(want))
		}
		for i, f := range d.frames {
			w := want[i]
			if f.FrameNo != w.FrameNo || f.Start != w.Start || f.End != w.End || f.Header != w.Header || f.N != w.N || string(f.Data()) != *w.Text {
				t.Errorf("%v: frame event %+v, the codec finds frame %d [%d,%d) %q", k, f, w.FrameNo, w.Start, w.End, *w.Text)
			}
		}
	}
}

// headerSpans works out, with framing.Header(10), the spans of the chunk
// that starts at off and ends where stream ends.
func headerSpans(t *testing.T, stream []byte, off int64) []wiretrace.FrameSpan {
	codec, _ := framing.Header(10, 0)
	var spans []wiretrace.FrameSpan
	end := int64(len(stream))
	for start, no := int64(0), 1; start < end; no++ {
		used, _, err := codec.Decode(stream[start:])
		if err != nil {
			t.Fatalf("decoding %q: %v", stream, err)
		}
		frameEnd := start + int64(used)
		sp := wiretrace.FrameSpan{Frame: no, HeaderWant: 10, BodyWant: -1}
		have := end - start
		sp.HeaderHave = int(min(have, 10))
		if sp.HeaderHave == 10 {
			var n int
			fmt.Sscan(string(stream[start:start+10]), &n)
			sp.BodyWant = n
			sp.BodyHave = int(min(have-10, int64(n)))
		}
		if used == 0 || frameEnd > off {
			spans = append(spans, sp)
		}
		if used == 0 {
			break
		}
		start = frameEnd
	}
	return spans
}
