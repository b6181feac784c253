package netio

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlotUnderContention: goroutines take and give back one slot, some
// of them giving up their wait (cancelled) part of the time. One holder
// at a time, every wait that was not cancelled gets the slot, and at the
// end it is free with nobody counted as queued (release frees a slot
// without its lock when it counts nobody queued). A wait whose context
// was cancelled before it began may be handed the slot all the same: it
// must then take it (GoWaiter.Park reported the cancellation instead and
// the slot stayed held by nobody, 1 run in 3 hung).
func TestSlotUnderContention(t *testing.T) {
	const (
		workers = 8
		rounds  = 3000
	)
	var sl slot
	var inside, taken, cancelled atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				w := GoWaiter{}
				if (id+r)%5 == 0 {
					ctx, cancel := context.WithCancel(context.Background())
					if r%2 == 0 {
						cancel() // gives up at once if it must wait
					} else {
						defer cancel()
					}
					w.Ctx = ctx
				}
				if err := sl.acquire(w, "test"); err != nil {
					cancelled.Add(1)
					continue
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				taken.Add(1)
				inside.Add(-1)
				sl.release()
			}
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a waiter was never handed the slot")
	}
	if got := taken.Load() + cancelled.Load(); got != workers*rounds {
		t.Errorf("%d acquisitions ended, want %d", got, workers*rounds)
	}
	if sl.busy() || sl.queued.Load() != 0 || len(sl.waiters) != 0 {
		t.Errorf("at the end: busy %v, queued %d, waiters %d; want free and none", sl.busy(), sl.queued.Load(), len(sl.waiters))
	}
	t.Logf("%d taken, %d cancelled", taken.Load(), cancelled.Load())
}
