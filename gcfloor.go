package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// A server's live heap is a few MiB while every message it receives
// allocates a Lua string. At gcPercent alone the collector runs each time
// 16 MiB have been allocated (Go's 4 MiB floor times 4): 18 collections a
// second in a 4 KiB echo at 256 connections (4 with the floor), 42 in a
// pipelined one at 16 (18), each marking the same few MiB and every
// task's stack again. After every
// collection the GOGC is set so that the next one comes when the heap
// has reached heapFloor, or 1+gcPercent/100 times what is live if that is
// more: a small heap grows to 64 MiB between collections, a large one as
// before. The memory limit (memlimit.go) still bounds it all, and
// collectWhenQuiet gives the garbage back once the server goes quiet.

const (
	heapFloor       = 64 << 20
	maxFloorPercent = heapFloor / (4 << 20) * 100 // Go's own floor is 4 MiB * GOGC/100
)

// gcPercentFor is the GOGC that lets a heap with live bytes grow to
// heapFloor before the next collection, never less than gcPercent.
func gcPercentFor(live uint64) int {
	if live == 0 || live >= heapFloor {
		return gcPercent
	}
	p := int((heapFloor/live - 1) * 100)
	return min(max(p, gcPercent), maxFloorPercent)
}

// keepHeapFloor sets the GOGC from the live heap after every collection
// from then on (a finalizer on an object nothing refers to runs once per
// collection; it arms the next one), until stop is called. tuned, if not
// nil, is called with each GOGC set.
func keepHeapFloor(tuned func(percent int)) (stop func()) {
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			if stopped.Load() {
				return
			}
			metrics.Read(sample)
			p := gcPercentFor(sample[0].Value.Uint64())
			debug.SetGCPercent(p)
			if tuned != nil {
				tuned(p)
			}
			arm()
		})
	}
	arm()
	return func() { stopped.Store(true) }
}

// gcSentinel is the object whose finalizer runs after each collection;
// it has a pointer so that it is never one of the tiny allocator's
// blocks, whose finalizers may wait for their neighbours.
type gcSentinel struct{ _ *byte }
