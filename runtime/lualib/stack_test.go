package lualib_test

import (
	"runtime"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/luatest"
)

// benchTasks runs fn (a Lua expression of a function) as a new task b.N
// times, each on a fresh Lua thread as every task gets, so the cost of
// growing a thread's stacks is part of each run. check is a Lua
// expression of what each run must return.
func benchTasks(b *testing.B, fn, check string) {
	var stdout, stderr luatest.Buffer
	h := luatest.NewHost(b, &stdout, &stderr)
	luatest.SetGlobals(h, map[string]any{"N": b.N})
	code, err := h.L.LoadString(`
		local fn = ` + fn + `
		bench_start()
		for _ = 1, N do
			local got = spawn(fn):join()
			if got ~= ` + check + ` then error("got " .. tostring(got)) end
		end`)
	if err != nil {
		b.Fatal(err)
	}
	h.L.SetGlobal("bench_start", h.L.NewFunction(func(*lua.LState) int { b.ResetTimer(); return 0 }))
	t := h.Spawn(code, nil, host.SpawnOptions{Name: "bench"})
	<-t.Done()
	b.StopTimer()
	if _, err := t.Result(); err != nil {
		b.Fatal(host.FormatError(err))
	}
}

// BenchmarkUnpack100k measures unpack({}, 1, 1e5) in a new task: 100,000
// values on a data stack that starts at 128 slots.
func BenchmarkUnpack100k(b *testing.B) {
	benchTasks(b, `function() return select("#", unpack({}, 1, 1e5)) end`, "1e5")
}

// BenchmarkRecursion10k measures a 10,000-deep Lua recursion in a new task
// (a recursive-descent parser on deeply nested input goes that deep).
func BenchmarkRecursion10k(b *testing.B) {
	benchTasks(b, `function()
		local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
		return depth(10000)
	end`, "10000")
}

// BenchmarkThreadMemory reports the heap a new Lua thread with the host's
// options retains (each task and each connection handler has one).
func BenchmarkThreadMemory(b *testing.B) {
	b.ReportMetric(threadMemory(b), "B/thread")
}

// threadMemory is the heap retained per Lua thread, over 2,000 threads
// made with the host's options.
func threadMemory(tb testing.TB) float64 {
	var stdout, stderr luatest.Buffer
	h := luatest.NewHost(tb, &stdout, &stderr)
	const n = 2000
	threads := make([]*lua.LState, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // a second time, for what sync.Pools (call-stack segments) kept through the first
	runtime.ReadMemStats(&before)
	h.Lock()
	for range n {
		th, _ := h.L.NewThread()
		threads = append(threads, th)
	}
	h.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(threads)
	return float64(after.HeapAlloc-before.HeapAlloc) / n
}

// A Lua thread with the host's options stays small however deep its call
// stack may grow (PATCHES.md: stack growth): the segment list of the call
// stack grows on demand instead of being made for 20,000 frames (24 KB a
// thread). Every task and every connection handler has a thread; the
// budget for an idle connection is 12 KiB.
func TestThreadMemoryStaysSmall(t *testing.T) {
	if got := threadMemory(t); got > 4096 {
		t.Errorf("a new Lua thread retains %.0f bytes, want at most 4096", got)
	}
}
