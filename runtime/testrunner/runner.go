// Package testrunner is the engine of netplay test: it finds *_test.lua
// files, runs every test_* function of each on a fresh host, and reports
// the failures and one closing line, "N passed, N failed".
//
// A file is compiled once, then run on a host of its own to learn its
// tests: the global functions whose names start with test_, in the order
// the file defines them (its chunk runs with an environment that records
// each global as it is first assigned). Then each test runs on a fresh
// host: the file's chunk again, setup(), the test, teardown() and the
// cleanups the test registered, all in one task named after the test. So
// no test sees another's globals, upvalues, loaded modules, sockets, tasks
// or clock, and under virtual time every test starts at sched.VirtualEpoch
// with ports handed out from 40000, whatever ran before it or whether -run
// chose it alone.
//
// After teardown, tasks still alive are cancelled and the test fails
// naming them (goleak's rule). A test ends early when it runs past its
// timeout (wall clock), or, under virtual time, as soon as every task
// waits and no timer is left to wake any of them (Go's "all goroutines
// are asleep"): the report then lists each task and what it waits on.
package testrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds each test when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// stopGrace is how long a cancelled test gets to unwind before the runner
// gives up on it and moves on.
const stopGrace = 2 * time.Second

// Options configure a run.
type Options struct {
	// Paths are test files and folders (searched for *_test.lua); none
	// means ".".
	Paths []string
	// Run selects the tests whose names it matches; nil selects all.
	Run *regexp.Regexp
	// Verbose lists every test with its time and what it printed.
	Verbose bool
	// Timeout bounds each test in wall-clock time (0: DefaultTimeout).
	Timeout time.Duration
	// VirtualTime runs every file in virtual time, as if each began with
	// testing.virtual_time().
	VirtualTime bool
	// Out receives the report.
	Out io.Writer
	// OpenScript resolves the names run() and script.load() get in a test
	// file; dir is the test file's folder, so a test can run the script
	// beside it by its file name. Nil: files only, relative to dir
	// (netplay test adds the bundled scripts: scripts.OpenIn).
	OpenScript func(dir, name string) (chunk string, src []byte, err error)
	// MaxAlloc is host.Options.MaxAlloc for every test's host.
	MaxAlloc int
}

// Summary counts what a run did.
type Summary struct {
	Passed, Failed, Skipped int
	// Broken counts the files that did not load (a syntax error, an error
	// in their top-level code).
	Broken int
}

// Line is the closing line of the report: "N passed, N failed", and
// ", N skipped" when any test was skipped.
func (s Summary) Line() string {
	line := fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	return line
}

// Status is netplay test's exit status: 2 when a file did not load, 1
// when a test failed, 0 otherwise.
func (s Summary) Status() int {
	switch {
	case s.Broken > 0:
		return 2
	case s.Failed > 0:
		return 1
	}
	return 0
}

// ErrNoPath is returned (wrapped, naming the path) for a path that does
// not exist: a usage error.
var ErrNoPath = errors.New("no such file or folder")

// Run finds the test files under opts.Paths, runs their tests one file
// and one test at a time, writes the report and its closing line to
// opts.Out and returns the counts. It returns an error, having run
// nothing, when a path does not exist; and ctx's error, after the
// closing line of what ran, when ctx is cancelled.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	files, err := Find(opts.Paths)
	if err != nil {
		return Summary{}, err
	}
	r := &runner{opts: opts, rep: &reporter{out: opts.Out, verbose: opts.Verbose}}
	if len(files) == 0 {
		fmt.Fprintf(opts.Out, "no *_test.lua files in %s\n", strings.Join(pathsOrDot(opts.Paths), " "))
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		r.runFile(ctx, f)
	}
	fmt.Fprintln(opts.Out, r.sum.Line())
	return r.sum, ctx.Err()
}

// runner is one run of the tests.
type runner struct {
	opts Options
	rep  *reporter
	sum  Summary
}

// runFile loads a file, learns its tests and runs those selected.
func (r *runner) runFile(ctx context.Context, path string) {
	tf, pr := compileFile(path, r.opts.VirtualTime)
	if pr != nil {
		r.broken(&result{file: path, problems: []*problem{pr}})
		return
	}
	names, res := r.discover(ctx, tf)
	if res != nil {
		r.broken(res)
		return
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		if r.opts.Run != nil && !r.opts.Run.MatchString(name) {
			continue
		}
		res := r.runTest(ctx, tf, name)
		switch res.status {
		case passed:
			r.sum.Passed++
		case failed:
			r.sum.Failed++
		case skipped:
			r.sum.Skipped++
		}
		r.rep.test(res)
	}
}

// broken reports a file that does not load.
func (r *runner) broken(res *result) {
	r.sum.Broken++
	r.rep.broken(res)
}

func pathsOrDot(paths []string) []string {
	if len(paths) == 0 {
		return []string{"."}
	}
	return paths
}

// Find lists the test files under paths (none: "."): a file named
// explicitly is a test file whatever its name; a folder is searched,
// with its subfolders, for *_test.lua, skipping folders named testdata
// or starting with "." or "_" (as go test does). The list is sorted
// within each folder and has no duplicates.
func Find(paths []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range pathsOrDot(paths) {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", root, ErrNoPath)
		}
		if !fi.IsDir() {
			add(filepath.Clean(root))
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && skipDir(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), "_test.lua") {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// skipDir reports whether a folder met while searching is left out.
func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
