package main

// netplay test: run *_test.lua files (the engine is runtime/testrunner).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"time"

	"netplay/runtime/testrunner"
	"netplay/scripts"
)

func init() {
	subcommands["test"] = subcommand{
		usage: "test [PATH...] [flags]",
		what:  "run the test_* functions of *_test.lua files (test --help)",
		run:   testMain,
	}
}

const testUsage = `usage: netplay test [PATH...] [flags]

Runs every *_test.lua file under each PATH (default .; folders named
testdata or starting with . or _ are skipped; a file named on the command
line runs whatever its name). Every global function whose name starts with
test_ is a test, run in the order the file defines them, each on a fresh
host: the file's top level runs again for it, then setup(), the test and
teardown() when the file defines them. A test fails on an error (assert,
error, expect.*), on an uncaught error in a task, and when it leaves tasks
running. The report shows each failure with its file:line, message and
traceback, then one line: N passed, N failed (, N skipped).
Exit status 0 when every test passed, 1 when one failed, 2 on a usage error
or a file that does not load.

flags:
`

// testFlags are the command line of netplay test.
type testFlags struct {
	paths   []string
	run     string
	verbose bool
	timeout time.Duration
	virtual bool
}

// newTestFlagSet defines the flags into f; it prints nothing.
func newTestFlagSet(f *testFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.run, "run", "", "run only the tests whose names match the Go regexp `PATTERN`")
	fs.BoolVar(&f.verbose, "v", false, "list every test with its time and what it printed")
	f.timeout = testrunner.DefaultTimeout
	fs.Var(durationFlag{&f.timeout}, "timeout", "fail a test that runs longer than `TIME` of wall-clock time (5s, 500ms, 2)")
	fs.BoolVar(&f.virtual, "virtual-time", false, "run every file in virtual time (as testing.virtual_time() does for one)")
	return fs
}

// printTestUsage prints the usage, the flags written as --name (-v, -run
// as go test spells them).
func printTestUsage(out io.Writer) {
	var f testFlags
	fs := newTestFlagSet(&f)
	fmt.Fprint(out, testUsage)
	printFlags(out, fs, 22, func(name string) string {
		if len(name) == 1 || name == "run" {
			return "-"
		}
		return "--"
	})
}

// parseTestArgs reads the flags, which may come before or after the paths.
func parseTestArgs(args []string) (testrunner.Options, error) {
	var f testFlags
	fs := newTestFlagSet(&f)
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return testrunner.Options{}, err
	}
	f.paths = paths
	opts := testrunner.Options{Paths: f.paths, Verbose: f.verbose, Timeout: f.timeout, VirtualTime: f.virtual}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			return opts, fmt.Errorf("-run: %v", err)
		}
		opts.Run = re
	}
	if f.timeout <= 0 {
		return opts, errors.New("--timeout must be more than 0")
	}
	return opts, nil
}

// testMain implements netplay test [PATH...] [flags].
func testMain(ctx context.Context, args []string, stdio Stdio) int {
	opts, err := parseTestArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		printTestUsage(stdio.Out)
		return exitOK
	}
	if err != nil {
		return subcommandUsageError(stdio, "test", err)
	}
	opts.Out = stdio.Out
	opts.OpenScript = scripts.OpenIn
	sum, err := testrunner.Run(ctx, opts)
	switch {
	case errors.Is(err, testrunner.ErrNoPath):
		fmt.Fprintf(stdio.Err, "netplay test: %v\n", err)
		return exitUsage
	case ctx.Err() != nil:
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stdio.Err, "netplay test: %v\n", err)
		return exitUsage
	}
	return sum.Status()
}
