package repl

import (
	"strings"
	"testing"
)

// An entry that asks for more memory than one operation may take
// (host.Options.MaxAlloc, 1 GiB by default) fails as a Lua error and the
// session goes on: string.rep("x", 2^40) used to ask Go for a terabyte,
// and the process died with "fatal error: runtime: out of memory".
func TestHugeAllocationFailsAndTheSessionGoesOn(t *testing.T) {
	out, status := runPiped(t, "s = string.rep(\"x\", 2^40)\ns\n(\"x\"):rep(3)\n")
	if status != 0 {
		t.Fatalf("exit status %d:\n%s", status, out)
	}
	inOrder(t, out,
		"> s = string.rep(\"x\", 2^40)\nstdin:1: string.rep: result too large\n",
		"> s\nnil\n",
		"> (\"x\"):rep(3)\n\"xxx\"\n",
	)
	if strings.Contains(out, "fatal error") {
		t.Fatalf("transcript:\n%s", out)
	}
}
