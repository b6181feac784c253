package wiretrace

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzReadJSONL: any input gives events or an error naming a line, never
// a panic; the events it returns are valid and read back the same.
func FuzzReadJSONL(f *testing.F) {
	for _, name := range []string{"../traceview/testdata/part1_recv8_loop.jsonl", "../traceview/testdata/part2_split.jsonl"} {
		if data, err := os.ReadFile(name); err == nil {
			lines := bytes.SplitAfter(data, []byte("\n"))
			for i := 0; i+2 <= len(lines) && i < 30; i += 2 {
				f.Add(bytes.Join(lines[i:i+2], nil))
			}
		}
	}
	f.Add([]byte(`{"seq":1,"conn":"c1","event":"recv","dir":"in","n":1,"b64":"AA=="}`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ReadJSONL(bytes.NewReader(data))
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte("line ")) {
			t.Fatalf("error without a line: %v", err)
		}
		var again bytes.Buffer
		for _, e := range events {
			if verr := Validate(e); verr != nil {
				t.Fatalf("ReadJSONL returned an invalid event: %v", verr)
			}
			line, merr := json.Marshal(e)
			if merr != nil {
				t.Fatal(merr)
			}
			again.Write(line)
			again.WriteByte('\n')
		}
		back, err := ReadJSONL(&again)
		if err != nil || len(back) != len(events) {
			t.Fatalf("the events read back: %d of %d, %v", len(back), len(events), err)
		}
	})
}
