package main

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"all pass", []string{fixtures + "pass"}, 0, "9 passed, 0 failed, 1 skipped", ""},
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
	if r.status != 0 || r.stdout != "36 passed, 0 failed\n" {
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
