package repl

import (
	"fmt"
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

// The tutorial (:help tutorial, the README's section) runs as written: its
// examples are typed into one session, with free ports for 5000 and 5001
// and the time server ticking every 0.05 s instead of 3, and each line
// prints what the tutorial shows (ports and times masked). Left out: the
// example that needs Ctrl-C and the one whose task prints in the
// background (both are what the pty test shows), and the servers' own
// "connection from" lines, which come from another task at their own
// moment.
func TestTutorialRunsAsWritten(t *testing.T) {
	blocks := tutorialBlocks(tutorialText)
	if len(blocks) < 6 {
		t.Fatalf("the tutorial has %d example sessions", len(blocks))
	}
	ports := strings.NewReplacer(":5000", ":"+freePort(t), ":5001", ":"+freePort(t), `"3")`, `"0.05")`)
	var input strings.Builder
	var want []string
	for _, b := range blocks {
		if strings.Contains(strings.Join(b.inputs, "\n"), "Ctrl-C") || strings.Contains(strings.Join(flatten(b.outputs), "\n"), "got: ") {
			continue
		}
		for i, in := range b.inputs {
			typed := []string{ports.Replace(in)}
			if m := spawnedServer.FindStringSubmatch(in); m != nil {
				// A person types slower than the server starts: wait for it.
				typed = append(typed, fmt.Sprintf(`while %s:status() ~= "waiting: accept" do sleep(0.001) end`, m[1]))
			}
			for _, line := range typed {
				input.WriteString(line + "\n")
				want = append(want, "> "+maskTutorial(line)+"\n")
			}
			for _, out := range b.outputs[i] {
				if !strings.HasPrefix(out, "connection from ") {
					want = append(want, maskTutorial(out)+"\n")
				}
			}
		}
	}
	got, status := runPiped(t, input.String())
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	if got := withoutLines(maskTutorial(got), "connection from "); got != strings.Join(want, "") {
		t.Fatalf("the tutorial's examples print otherwise:\n--- got:\n%s\n--- the tutorial:\n%s", got, strings.Join(want, ""))
	}
}

func flatten(lines [][]string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l...)
	}
	return out
}
