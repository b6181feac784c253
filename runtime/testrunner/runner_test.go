package testrunner

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/luatest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runBound bounds every run of the runner in these tests.
const runBound = 60 * time.Second

// runTests runs the runner with opts and returns its report and counts.
func runTests(t *testing.T, opts Options) (string, Summary) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	var out bytes.Buffer
	opts.Out = &out
	sum, err := Run(ctx, opts)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return out.String(), sum
}

// wallTimes matches the times -v shows, which vary from run to run.
var wallTimes = regexp.MustCompile(`, \d+\.\d{3}s\)`)

// The runner on each fixture folder: the counts, the exit status, the
// closing line alone on the last line, and the whole report against its
// golden file (go test -update rewrites them).
func TestFixtures(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		want   Summary
		status int
	}{
		{"pass", Options{}, Summary{Passed: 11, Skipped: 1}, 0},
		{"fail", Options{}, Summary{Passed: 1, Failed: 14, Skipped: 1}, 1},
		{"broken", Options{}, Summary{Passed: 1, Broken: 2}, 2},
		{"hang", Options{Timeout: 300 * time.Millisecond}, Summary{Passed: 1, Failed: 2}, 1},
		{"order", Options{Verbose: true}, Summary{Passed: 7}, 0},
		{"isolation", Options{}, Summary{Passed: 4}, 0},
		{"virtual", Options{}, Summary{Passed: 6, Failed: 1}, 1},
		{"deadlock", Options{}, Summary{Passed: 1, Failed: 1}, 1},
		{"misuse", Options{}, Summary{Failed: 1, Broken: 1}, 2},
		{"realtime", Options{Timeout: 200 * time.Millisecond}, Summary{Failed: 1}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Paths = []string{"testdata/" + c.name}
			out, sum := runTests(t, c.opts)
			if sum != c.want || sum.Status() != c.status {
				t.Errorf("summary %+v (status %d), want %+v (status %d)\n%s", sum, sum.Status(), c.want, c.status, out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if last := lines[len(lines)-1]; last != c.want.Line() {
				t.Errorf("last line %q, want %q", last, c.want.Line())
			}
			luatest.CheckGolden(t, "testdata/"+c.name+".golden", wallTimes.ReplaceAllString(out, ", TIME)"), *update)
		})
	}
}

// A failing assert and a failing expect.eq are reported at their
// file:line, the diff under the message, the traceback into the file.
func TestFailureBlocks(t *testing.T) {
	out, _ := runTests(t, Options{Paths: []string{"testdata/fail/fail_test.lua"}, Run: regexp.MustCompile(`^test_(assert|expect_eq_string)$`)})
	want := `--- FAIL: test_assert (testdata/fail/fail_test.lua:6)
    testdata/fail/fail_test.lua:8: no header
    stack traceback:
        [G]: in function 'assert'
        testdata/fail/fail_test.lua:8: in function 'test_assert'
--- FAIL: test_expect_eq_string (testdata/fail/fail_test.lua:11)
    testdata/fail/fail_test.lua:12: expect.eq: strings differ at offset 11 (got 22 bytes, want 22)
        got:  "Welcome to the server!"
        want: "Welcome to The server!"
                          ^
    stack traceback:
        [G]: in function 'eq'
        testdata/fail/fail_test.lua:12: in function 'test_expect_eq_string'
0 passed, 2 failed
`
	if out != want {
		t.Fatalf("report:\n%s\nwant:\n%s", out, want)
	}
}

// -run selects tests by a regexp on their names, keeping their order.
func TestRunSelects(t *testing.T) {
	out, sum := runTests(t, Options{Paths: []string{"testdata/order"}, Run: regexp.MustCompile("an"), Verbose: true})
	got := regexp.MustCompile(`(?m)^--- PASS: (\w+)`).FindAllStringSubmatch(out, -1)
	var names []string
	for _, m := range got {
		names = append(names, m[1])
	}
	if strings.Join(names, " ") != "test_mango test_banana" || sum != (Summary{Passed: 2}) {
		t.Fatalf("ran %v (%+v), want test_mango test_banana\n%s", names, sum, out)
	}
}

// --virtual-time runs a file that does not ask for it in virtual time.
func TestVirtualTimeFlag(t *testing.T) {
	start := time.Now()
	out, sum := runTests(t, Options{Paths: []string{"testdata/realtime"}, VirtualTime: true, Timeout: 5 * time.Second})
	if sum != (Summary{Passed: 1}) {
		t.Fatalf("%+v\n%s", sum, out)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("an hour of virtual sleep took %v", d)
	}
}

// Virtual time: an hour of sleep takes well under a second of wall time,
// with now() and monotonic() moved by exactly 3600 (the test checks).
func TestVirtualHourIsQuick(t *testing.T) {
	start := time.Now()
	out, sum := runTests(t, Options{Paths: []string{"testdata/virtual/clock_test.lua"}, Run: regexp.MustCompile("^test_sleep_an_hour$")})
	if sum != (Summary{Passed: 1}) {
		t.Fatalf("%+v\n%s", sum, out)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v of wall time", d)
	}
}

// The same tests under virtual time give byte-identical reports, 50
// runs in a row: the same virtual timestamps, ports, task numbers and
// failure output.
func TestVirtualTimeIsRepeatable(t *testing.T) {
	first, _ := runTests(t, Options{Paths: []string{"testdata/virtual", "testdata/deadlock"}})
	if !strings.Contains(first, "tick 10 at 1767225630.000000") {
		t.Fatalf("the report does not show the ticks:\n%s", first)
	}
	for i := 1; i < 50; i++ {
		out, _ := runTests(t, Options{Paths: []string{"testdata/virtual", "testdata/deadlock"}})
		if out != first {
			t.Fatalf("run %d differs from run 0:\n%s\n--- run 0:\n%s", i, out, first)
		}
	}
}

// Find walks folders for *_test.lua, skipping testdata, hidden and _
// folders below the root, and takes a named file whatever its name.
func TestFind(t *testing.T) {
	files, err := Find([]string{"testdata/order", "testdata/pass/pass_test.lua", "testdata/order/order_test.lua"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, " "); got != "testdata/order/order_test.lua testdata/pass/pass_test.lua" {
		t.Fatalf("found %s", got)
	}
	if _, err := Find([]string{"testdata/nothing"}); err == nil || !strings.Contains(err.Error(), "testdata/nothing: no such file or folder") {
		t.Fatalf("missing path: %v", err)
	}
	files, err = Find([]string{"."})
	if err != nil || len(files) != 0 {
		t.Fatalf("from the package folder (fixtures are under testdata): %v %v", files, err)
	}
}

func TestSummaryLine(t *testing.T) {
	for _, c := range []struct {
		s    Summary
		want string
	}{
		{Summary{}, "0 passed, 0 failed"},
		{Summary{Passed: 3, Failed: 1}, "3 passed, 1 failed"},
		{Summary{Passed: 3, Skipped: 2}, "3 passed, 0 failed, 2 skipped"},
	} {
		if got := c.s.Line(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}

func ExampleSummary_Line() {
	fmt.Println(Summary{Passed: 12, Failed: 1, Skipped: 2}.Line())
	// Output: 12 passed, 1 failed, 2 skipped
}
