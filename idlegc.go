package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The collector runs seldom under load (gcPercent), so a server that has
// gone quiet would keep the garbage of its last busy second, and the
// pages it freed, for as long as it stays quiet. A quietCollector gives
// them back: once the process has allocated a good deal and then almost
// nothing for a while, it collects and returns free memory to the
// system, once per quiet spell.

const (
	idleCheckEvery = 250 * time.Millisecond
	idleBusyBytes  = 1 << 20  // allocated since the last collection: worth one
	idleQuietBytes = 64 << 10 // allocated since the last check: quiet
)

// quietCollector decides, from the process's running total of allocated
// bytes read at each check, when to collect.
type quietCollector struct {
	allocated    func() uint64 // bytes allocated since the process began
	collect      func()
	last         uint64 // allocated at the last check
	sinceCollect uint64 // allocated since the last collection
}

// check looks at what was allocated since the last check and collects
// when a busy spell has just turned quiet; it reports whether it did.
func (q *quietCollector) check() bool {
	now := q.allocated()
	step := now - q.last
	q.last = now
	q.sinceCollect += step
	if q.sinceCollect < idleBusyBytes || step >= idleQuietBytes {
		return false
	}
	q.collect()
	q.sinceCollect = 0
	q.last = q.allocated()
	return true
}

// collectWhenQuiet runs for the life of the process (started by main).
func collectWhenQuiet() {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	q := &quietCollector{
		allocated: func() uint64 {
			metrics.Read(sample)
			return sample[0].Value.Uint64()
		},
		collect: debug.FreeOSMemory, // collects, then returns free pages
	}
	q.last = q.allocated()
	for range time.Tick(idleCheckEvery) {
		q.check()
	}
}
