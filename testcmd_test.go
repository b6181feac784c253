package main

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
	"netplay/scripts"
)

// fixtures are the test runner's fixture folders.
const fixtures = "runtime/testrunner/testdata/"

// lastLine is the last line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// netplay test's exit statuses and closing lines, and its usage errors.
func TestTestCommand(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		status int
		last   string // the last line of stdout
		stderr string // a part of stderr
	}{
		{"all pass", []string{fixtures + "pass"}, 0, "11 passed, 0 failed, 1 skipped", ""},
		{"a failure", []string{fixtures + "fail"}, 1, "1 passed, 14 failed, 1 skipped", ""},
		{"a file that does not load", []string{fixtures + "broken"}, 2, "1 passed, 0 failed", ""},
		{"flags after the path", []string{fixtures + "order", "-run", "apple|fig", "-v"}, 0, "2 passed, 0 failed", ""},
		{"--timeout", []string{fixtures + "hang", "--timeout", "0.2"}, 1, "1 passed, 2 failed", ""},
		{"--virtual-time", []string{"--virtual-time", fixtures + "realtime"}, 0, "1 passed, 0 failed", ""},
		{"no such path", []string{"no/such/folder"}, 2, "", "netplay test: no/such/folder: no such file or folder\n"},
		{"a bad pattern", []string{"-run", "(", fixtures + "pass"}, 2, "", "netplay test: -run: error parsing regexp"},
		{"an unknown flag", []string{"--fast"}, 2, "", "flag provided but not defined: -fast"},
		{"a bad timeout", []string{"--timeout", "soon"}, 2, "", "want a duration such as 5s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"test"}, c.args...)...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.status, c.status, r.stdout, r.stderr)
			}
			if c.last != "" && lastLine(r.stdout) != c.last {
				t.Errorf("last line %q, want %q\n%s", lastLine(r.stdout), c.last, r.stdout)
			}
			if !strings.Contains(r.stderr, c.stderr) || c.stderr == "" && r.stderr != "" {
				t.Errorf("stderr %q, want it to hold %q", r.stderr, c.stderr)
			}
		})
	}
}

func TestTestCommandHelp(t *testing.T) {
	r := runCLI(t, "test", "--help")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "usage: netplay test [PATH...] [flags]") || !strings.Contains(r.stdout, "  --virtual-time ") {
		t.Fatalf("status %d\n%s", r.status, r.stdout)
	}
	if h := runCLI(t, "help"); !strings.Contains(h.stdout, "netplay test [PATH...] [flags]") {
		t.Fatalf("netplay help does not list test:\n%s", h.stdout)
	}
}

// The tutorial tests itself: netplay test scripts/ runs the *_test.lua
// beside the scripts, and all pass.
func TestScriptsTestThemselves(t *testing.T) {
	r := runCLI(t, "test", "scripts")
	if r.status != 0 || r.stdout != "68 passed, 0 failed\n" {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

// Every bundled script is run by name by a *_test.lua in its folder.
func TestEveryScriptHasATest(t *testing.T) {
	for _, e := range scripts.List() {
		dir, file := path.Split(e.Name)
		tests, err := filepath.Glob(filepath.Join("scripts", dir, "*_test.lua"))
		if err != nil || len(tests) == 0 {
			t.Errorf("%s: no *_test.lua in scripts/%s", e.Name, dir)
			continue
		}
		mentioned := false
		for _, tf := range tests {
			src, err := os.ReadFile(tf)
			if err != nil {
				t.Fatal(err)
			}
			mentioned = mentioned || strings.Contains(string(src), `"`+file+`.lua"`)
		}
		if !mentioned {
			t.Errorf("%s: no test in scripts/%s runs %q", e.Name, dir, file+".lua")
		}
	}
}

// Under virtual time the Part II server and client exchange ten ticks of
// 3 s in well under a second of wall time (the Lua tests check the
// timestamps and the client's output).
func TestPart2TenTicksInVirtualTime(t *testing.T) {
	start := time.Now()
	r := runCLI(t, "test", "scripts/part2", "-run", "ten_ticks")
	if r.status != 0 || r.stdout != "2 passed, 0 failed\n" {
		t.Fatalf("status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	if d := time.Since(start); d >= time.Second {
		t.Fatalf("took %v", d)
	}
}

// fencedBlocks lists the README's fenced code blocks, without their fences.
func fencedBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(line, "```") && !in:
			in, cur = true, nil
		case strings.HasPrefix(line, "```"):
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// readmeBlock is the README's fenced block that starts with first.
func readmeBlock(t *testing.T, first string) string {
	t.Helper()
	for _, b := range fencedBlocks(t) {
		if strings.HasPrefix(b, first) {
			return b
		}
	}
	t.Fatalf("README.md has no block starting %q", first)
	return ""
}

// The README's "Testing a protocol" shows the example's files as they
// are, and the output netplay test gives for them, as it is (wall times
// aside), passing and with the off-by-one it describes.
func TestReadmeTestingExample(t *testing.T) {
	blocks := strings.Join(fencedBlocks(t), "")
	for _, file := range []string{"scripts/protocols/kv_server.lua", "scripts/protocols/kv_test.lua"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(blocks, string(src)) {
			t.Errorf("README.md does not show %s as it is", file)
		}
	}

	block := readmeBlock(t, "$ netplay test -v scripts/protocols/kv_test.lua")
	r := runCLI(t, "test", "-v", "scripts/protocols/kv_test.lua")
	got := "$ netplay test -v scripts/protocols/kv_test.lua\n" + r.stdout
	if wallTimes(got) != wallTimes(block) {
		t.Errorf("README.md shows:\n%s\nnetplay test gives:\n%s", block, got)
	}

	dir := t.TempDir()
	for _, name := range []string{"kv_server.lua", "kv_client.lua", "kv_test.lua"} {
		src, err := os.ReadFile(filepath.Join("scripts/protocols", name))
		if err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(string(src), "monotonic() < entry.expires", "monotonic() <= entry.expires", 1)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = runCLI(t, "test", filepath.Join(dir, "kv_test.lua"))
	got = "$ netplay test scripts/protocols/kv_test.lua\n" + strings.ReplaceAll(r.stdout, dir, "scripts/protocols")
	if block := readmeBlock(t, "$ netplay test scripts/protocols/kv_test.lua\n--- FAIL"); got != block || r.status != 1 {
		t.Errorf("README.md shows:\n%s\nnetplay test gives (status %d):\n%s", block, r.status, got)
	}
}

// The README's deadlock report and binary diff are the runner's own, as
// its golden files hold them.
func TestReadmeTestingSamples(t *testing.T) {
	for golden, first := range map[string]string{
		fixtures + "deadlock.golden": "--- FAIL: test_everyone_waits",
		fixtures + "fail.golden":     "expect.eq: strings differ at offset 3 (got 9 bytes, want 9)",
	} {
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		block := readmeBlock(t, first)
		if !containsLines(string(want), block) {
			t.Errorf("%s does not hold the README's block:\n%s", golden, block)
		}
	}
}

// containsLines reports whether every line of block ends a line of text,
// in order (the README may show a block less indented, or without the
// file:line a message starts with).
func containsLines(text, block string) bool {
	lines := strings.Split(text, "\n")
	i := 0
	for _, want := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		want = strings.TrimSpace(want)
		for i < len(lines) && !strings.HasSuffix(lines[i], want) {
			i++
		}
		if i == len(lines) {
			return false
		}
		i++
	}
	return true
}

// wallTimes writes the wall times of -v as TIME.
func wallTimes(s string) string {
	return regexp.MustCompile(`, \d+\.\d{3}s\)`).ReplaceAllString(s, ", TIME)")
}

// Interrupting netplay test (SIGINT cancels the context) stops the test
// running, prints what ran and exits 130.
func TestTestCommandInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut luatest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"test", fixtures + "hang"}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}()
	time.AfterFunc(time.Second, cancel) // inside the first test, which waits 10 s
	select {
	case status := <-done:
		if status != exitInterrupted {
			t.Fatalf("status %d\n%s", status, out.String())
		}
	case <-time.After(testTimeout):
		t.Fatal("netplay test did not stop")
	}
	if !strings.Contains(out.String(), "hang_test.lua:4: interrupted\n") || lastLine(out.String()) != "0 passed, 1 failed" {
		t.Fatalf("report:\n%s", out.String())
	}
}
