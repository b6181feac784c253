//go:build unix

package repl

import (
	"os"
	"syscall"
)

// redrawPrompt makes liner draw its prompt and line again. liner has no
// public call for that, but it redraws on SIGWINCH (a window size change,
// liner's input.go and line.go `case winch`), so the process sends itself
// one.
func redrawPrompt() {
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
}
