package repl

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netplay/runtime/luatest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/repl/")

// Each testdata/repl/NAME.in is a session typed into a pipe; NAME.out is
// its transcript: every line after its prompt, then what it printed
// (stdout and stderr), ports and times masked. go test -update rewrites
// the .out files.
func TestGoldenSessions(t *testing.T) {
	inputs, err := filepath.Glob("testdata/repl/*.in")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no sessions in testdata/repl: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, status := runPiped(t, string(input))
			if status != 0 {
				t.Errorf("exit status %d, want 0", status)
			}
			luatest.CheckGolden(t, strings.TrimSuffix(in, ".in")+".out", mask(got), *update)
		})
	}
}
