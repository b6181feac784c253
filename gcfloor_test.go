package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The GOGC lets a small live heap grow to heapFloor, a large one to five
// times itself, and is never above what Go's own 4 MiB floor needs to
// reach heapFloor.
func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		live uint64
		want int
	}{
		{0, gcPercent},             // nothing measured yet
		{1 * mib, maxFloorPercent}, // Go's floor (4 MiB * 16) is what reaches 64 MiB
		{4 * mib, 1500},            // 4 MiB * 16 = 64 MiB
		{8 * mib, 700},             // 8 MiB * 8
		{16 * mib, gcPercent},      // 16 MiB * 4 would do; never under gcPercent
		{64 * mib, gcPercent},      // as before
		{1 << 30, gcPercent},
	}
	for _, c := range cases {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

// After a collection the tuner sets the GOGC from the live heap it found,
// and goes on doing so after the next one.
func TestKeepHeapFloorTunesAfterEachCollection(t *testing.T) {
	old := debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(old)
	tuned := make(chan int, 16)
	stop := keepHeapFloor(func(p int) {
		select {
		case tuned <- p:
		default:
		}
	})
	defer stop()
	for i := 0; i < 2; i++ {
		runtime.GC()
		p := <-tuned // the finalizer runs after the collection
		if p < gcPercent || p > maxFloorPercent {
			t.Fatalf("collection %d: GOGC %d, want %d..%d", i+1, p, gcPercent, maxFloorPercent)
		}
		if got := debug.SetGCPercent(p); got != p {
			t.Fatalf("collection %d: tuner reported %d but the GOGC is %d", i+1, p, got)
		}
	}
}
