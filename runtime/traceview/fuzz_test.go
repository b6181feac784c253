package traceview

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"

	"netplay/runtime/wiretrace"
)

// FuzzBuild: the builder lays out any events, even ones that break the
// schema (it draws what the host publishes, unchecked), without a panic,
// and one event at a time it ends where the whole trace does.
func FuzzBuild(f *testing.F) {
	// Small seeds: the fuzzer minimizes large ones for a long time.
	for _, name := range []string{part1File, part2File} {
		if data, err := os.ReadFile(name); err == nil {
			lines := bytes.SplitAfter(data, []byte("\n"))
			for i := 0; i+3 <= len(lines) && i < 30; i += 3 {
				f.Add(bytes.Join(lines[i:i+3], nil))
			}
		}
	}
	f.Add([]byte(`{"seq":1,"conn":"c1","event":"recv","dir":"in","n":5,"offset":-3,"text":"ab","frames":[{"frame":2,"header_have":9,"header_want":3,"body_have":-4,"body_want":-1}]}
{"seq":2,"conn":"c1","event":"frame","dir":"in","frame":2,"start":7,"end":3,"header":-1}
{"seq":3,"conn":"","event":"accept","via":"c1","local":"","remote":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var events []wiretrace.Event
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var e wiretrace.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				events = append(events, e)
			}
		}
		whole := Build(events, Options{MaxData: 16})
		b := NewBuilder(Options{MaxData: 16})
		n := 0
		for _, e := range events {
			b.Add(e)
			if m := b.Flush(); m != nil {
				n += len(m.Rows)
			}
		}
		if n != len(whole.Rows) {
			t.Fatalf("%d rows one at a time, %d at once", n, len(whole.Rows))
		}
		if err := writePage(io.Discard, whole); err != nil {
			t.Fatal(err)
		}
	})
}
