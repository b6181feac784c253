//go:build !unix

package repl

// redrawPrompt does nothing where there is no SIGWINCH: background output
// then lands on the prompt line, and the next key press redraws it.
func redrawPrompt() {}
