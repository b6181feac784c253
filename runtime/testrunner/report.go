package testrunner

// The report: a block for each failure (and skip), every test with -v,
// then the closing line (runner.go).

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// reporter writes the report as tests end.
type reporter struct {
	out     io.Writer
	verbose bool
}

// test reports one test: a failure or a skip always, a pass with -v.
// With -v the header has the test's wall time and the block shows what
// it printed; a failure shows that in any case.
func (p *reporter) test(res *result) {
	switch res.status {
	case passed:
		if p.verbose {
			p.header("PASS", res.name, res)
			p.output(res.output)
		}
	case skipped:
		p.header("SKIP", res.name, res)
		p.lines(res.skip, "    ")
		if p.verbose {
			p.output(res.output)
		}
	case failed:
		p.header("FAIL", res.name, res)
		p.problems(res.problems)
		p.output(res.output)
	}
}

// broken reports a file that does not load.
func (p *reporter) broken(res *result) {
	fmt.Fprintf(p.out, "--- FAIL: %s (does not load)\n", res.file)
	p.problems(res.problems)
	p.output(res.output)
}

// header is "--- FAIL: test_x (file:line)", with ", 0.003s" under -v.
func (p *reporter) header(verdict, name string, res *result) {
	where := res.where
	if where == "" {
		where = res.file
	}
	if p.verbose {
		where += ", " + seconds(res.elapsed)
	}
	fmt.Fprintf(p.out, "--- %s: %s (%s)\n", verdict, name, where)
}

// seconds writes d as seconds with three decimals: "0.003s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func (p *reporter) problems(list []*problem) {
	for _, pr := range list {
		p.lines(pr.message, "    ")
		p.lines(pr.trace, "    ")
	}
}

// output shows what the test printed, under "output:".
func (p *reporter) output(out string) {
	if out == "" {
		return
	}
	fmt.Fprintln(p.out, "    output:")
	p.lines(out, "        ")
}

// lines writes text indented, line by line, without a trailing blank line.
func (p *reporter) lines(text, indent string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			fmt.Fprintln(p.out)
			continue
		}
		fmt.Fprintln(p.out, indent+line)
	}
}
