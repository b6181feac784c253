package main

import (
	"os"
	"runtime/debug"

	"netplay/runtime/host"
)

// memoryHeadroom is what the process may hold beyond the budget for
// buffered input before Go's collector works harder: the interpreter,
// scripts' own data, goroutine stacks and the buffers' garbage.
const memoryHeadroom = 24 << 20

// limitMemory is set by main: the real process ties Go's soft memory limit
// to its budget; tests calling Main in-process leave theirs alone.
var limitMemory bool

// gcPercent is the collector's least GOGC unless the environment sets
// one (keepHeapFloor raises it while the live heap is small). A
// server's live heap is small (a few MiB) while every message allocates
// its Lua string: at Go's 100 the collector ran 85 times a second in a
// 4 KiB echo and took a fifth of the CPU. The memory limit still bounds
// the heap.
const gcPercent = 400

// applyMemoryLimit sets the collector's GOGC (gcPercent) and Go's soft
// memory limit to the budget for buffered input plus a fixed headroom,
// unless GOGC and GOMEMLIMIT say otherwise. The budget
// bounds the bytes buffered; without a limit the collector (GOGC=100) lets
// the heap reach about twice what is live, so a flood of partial frames
// would take twice the budget. The limit is soft: a script that keeps more
// data than that still runs, with the collector running more often.
func applyMemoryLimit(maxBuffered int64) {
	if !limitMemory {
		return
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		keepHeapFloor(nil)
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if maxBuffered <= 0 {
		maxBuffered = host.DefaultMaxBuffered
	}
	debug.SetMemoryLimit(maxBuffered + memoryHeadroom)
}
