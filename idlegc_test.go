package main

import "testing"

// The quiet collector collects once when a busy spell turns quiet, never
// while allocations go on, never when little was allocated, and not
// again until the process has been busy again.
func TestQuietCollector(t *testing.T) {
	const mib = 1 << 20
	steps := []struct {
		alloc   uint64 // allocated since the previous check
		collect bool
	}{
		{100 << 10, false}, // starting up: not much
		{2 * mib, false},   // busy
		{3 * mib, false},   // busy
		{10 << 10, true},   // quiet after 5 MiB: collect
		{10 << 10, false},  // still quiet: once per quiet spell
		{0, false},
		{512 << 10, false}, // a little work, still under 1 MiB since
		{512 << 10, false}, // now over it, but not quiet
		{0, true},          // quiet: collect
		{63 << 10, false},  // quiet, but nothing worth collecting
	}
	total, collections := uint64(0), 0
	q := &quietCollector{
		allocated: func() uint64 { return total },
		collect:   func() { collections++ },
	}
	for i, s := range steps {
		total += s.alloc
		before := collections
		if got := q.check(); got != s.collect || collections-before != map[bool]int{false: 0, true: 1}[s.collect] {
			t.Fatalf("step %d (%d bytes): collected %v, want %v", i, s.alloc, got, s.collect)
		}
	}
}
