package repl

import (
	"net"
	"regexp"
	"strings"
	"testing"
)

// tutorialBlock is one example session of the tutorial: the lines typed
// and, for each, the lines it prints.
type tutorialBlock struct {
	inputs  []string
	outputs [][]string
}

// tutorialBlocks reads the code blocks of the tutorial: "> " starts a
// line typed, the lines after it are what it prints.
func tutorialBlocks(text string) []tutorialBlock {
	var blocks []tutorialBlock
	var cur *tutorialBlock
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "```" && cur == nil:
			blocks = append(blocks, tutorialBlock{})
			cur = &blocks[len(blocks)-1]
		case line == "```":
			cur = nil
		case cur == nil:
		case strings.HasPrefix(line, "> "):
			cur.inputs = append(cur.inputs, strings.TrimPrefix(line, "> "))
			cur.outputs = append(cur.outputs, nil)
		case len(cur.inputs) > 0:
			cur.outputs[len(cur.outputs)-1] = append(cur.outputs[len(cur.outputs)-1], line)
		}
	}
	return blocks
}

// spawnedServer matches a line that starts a server script as a task.
var spawnedServer = regexp.MustCompile(`^(\w+) = spawn\(run, "part\d/\w+"`)

// tutorialMasks make the tutorial's examples and a real run comparable.
var tutorialMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`The time is \d+\.\d{6}`), "The time is T"},
}

func maskTutorial(s string) string {
	for _, m := range tutorialMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// tutorialSession types the tutorial's examples into one piped session,
// with free ports for 5000 and 5001 and the time server ticking every
// 0.05 s instead of 3, and returns the transcript (ports and times masked)
// and what the tutorial shows for it. Left out: the example that needs
// Ctrl-C and the one whose task prints in the background (both are what
// the pty test shows).
func tutorialSession(t *testing.T) (got, want string) {
	t.Helper()
	blocks := tutorialBlocks(tutorialText)
	if len(blocks) < 6 {
		t.Fatalf("the tutorial has %d example sessions", len(blocks))
	}
	ports := strings.NewReplacer(":5000", ":"+freePort(t), ":5001", ":"+freePort(t), `"3")`, `"0.05")`)
	var input, expected strings.Builder
	for _, b := range blocks {
		if strings.Contains(strings.Join(b.inputs, "\n"), "Ctrl-C") || strings.Contains(strings.Join(flatten(b.outputs), "\n"), "got: ") {
			continue
		}
		for i, in := range b.inputs {
			line := ports.Replace(in)
			input.WriteString(line + "\n")
			expected.WriteString("> " + maskTutorial(line) + "\n")
			for _, out := range b.outputs[i] {
				expected.WriteString(maskTutorial(out) + "\n")
			}
		}
	}
	out, status := runPiped(t, input.String())
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	return maskTutorial(out), expected.String()
}

// The tutorial (:help tutorial, the README's section) runs as written,
// the servers' own lines where it shows them: a task spawned at the
// prompt runs until it waits before the prompt comes back, and the REPL
// reads the next line only once every task that can run has waited.
func TestTutorialRunsAsWritten(t *testing.T) {
	got, want := tutorialSession(t)
	if got != want {
		t.Fatalf("the tutorial's examples print otherwise:\n--- got:\n%s\n--- the tutorial:\n%s", got, want)
	}
}

// The same piped session gives the same output every run: no race
// between a server spawned at the prompt and the next line's connect, or
// between what the server prints and the next prompt.
func TestTutorialSessionIsTheSameEveryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("50 sessions")
	}
	const runs, together = 50, 5
	results := make(chan string, runs)
	sem := make(chan struct{}, together)
	for range runs {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			got, _ := tutorialSession(t)
			results <- got
		}()
	}
	first := <-results
	for i := 1; i < runs; i++ {
		if got := <-results; got != first {
			t.Fatalf("run %d printed otherwise:\n--- got:\n%s\n--- first run:\n%s", i+1, got, first)
		}
	}
}

func flatten(lines [][]string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l...)
	}
	return out
}
