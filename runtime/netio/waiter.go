package netio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Waiter is how a socket call waits. The host gives one per call, bound to
// the calling task: a call first tries what it can without waiting (while
// the task holds the interpreter), and waits through the Waiter only when
// it must, so the other tasks run meanwhile.
type Waiter interface {
	// Context is the calling task's: cancelled by task:cancel and shutdown.
	Context() context.Context
	// Now is the host's clock (virtual under virtual time); deadlines
	// are in its terms.
	Now() time.Time
	// Outside gives the interpreter up while wait blocks in Go on the
	// outside world (a real socket). probe, when not nil, says from
	// another goroutine whether the wait is about to end.
	Outside(what string, probe func() bool, wait func(ctx context.Context) error) error
	// Park gives the interpreter up until the wake function handed to
	// arm is called (by whatever makes the awaited thing happen), the
	// deadline passes (ErrTimeout; a zero deadline is none) or the task is
	// cancelled (ErrCancelled). arm registers wake and returns how to
	// unregister it; wake reports whether it ended the wait.
	Park(what string, deadline time.Time, arm func(wake func() bool) (disarm func())) error
	// Fair lets other ready tasks run when this one has kept the
	// interpreter long without waiting (a busy connection whose data is
	// always ready must not starve the others).
	Fair()
}

// GoWaiter is a Waiter for Go code that runs no tasks (tests, tools): the
// waits simply block the calling goroutine.
type GoWaiter struct {
	Ctx context.Context // nil: context.Background()
}

// Context implements Waiter.
func (g GoWaiter) Context() context.Context {
	if g.Ctx == nil {
		return context.Background()
	}
	return g.Ctx
}

// Now implements Waiter.
func (GoWaiter) Now() time.Time { return time.Now() }

// Outside implements Waiter.
func (g GoWaiter) Outside(_ string, _ func() bool, wait func(ctx context.Context) error) error {
	return wait(g.Context())
}

// Park implements Waiter.
func (g GoWaiter) Park(_ string, deadline time.Time, arm func(wake func() bool) func()) error {
	ch := make(chan struct{})
	var once sync.Once
	disarm := arm(func() bool {
		woke := false
		once.Do(func() { woke = true; close(ch) })
		return woke
	})
	defer disarm()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	var err error
	select {
	case <-ch:
		return nil
	case <-timeout:
		err = ErrTimeout
	case <-g.Context().Done():
		err = ErrCancelled
	}
	// A wake-up that came first wins: whoever woke us handed something
	// over (a slot) and counts on it being taken.
	stopped := false
	once.Do(func() { stopped = true })
	if !stopped {
		return nil
	}
	return err
}

// Fair implements Waiter.
func (GoWaiter) Fair() {}

// slot lets one caller at a time use one side of a socket (reading or
// writing); others wait their turn, first come first served.
type slot struct {
	holding atomic.Bool  // taken without the lock when free (every call does)
	queued  atomic.Int32 // len(waiters), for a release that finds none without the lock
	mu      sync.Mutex   // guards waiters, and the hand-over to them
	waiters []*slotWaiter
}

type slotWaiter struct{ wake func() bool }

// acquireNow takes the slot, spinning until it is free: only for a socket
// nobody uses yet (set-up), where it is always free at once.
func (sl *slot) acquireNow() {
	for !sl.tryAcquire() {
	}
}

// tryAcquire takes the slot if it is free.
func (sl *slot) tryAcquire() bool {
	return sl.holding.CompareAndSwap(false, true)
}

// acquire takes the slot, waiting for it through w; a wait that ends
// with a wake-up was handed the slot by release.
func (sl *slot) acquire(w Waiter, what string) error {
	if sl.tryAcquire() {
		return nil
	}
	return w.Park(what, time.Time{}, func(wake func() bool) func() {
		sl.mu.Lock()
		defer sl.mu.Unlock()
		// Counted before the second try (see release).
		sl.queued.Add(1)
		if sl.holding.CompareAndSwap(false, true) { // released meanwhile: take it now
			sl.queued.Add(-1)
			wake()
			return func() {}
		}
		me := &slotWaiter{wake}
		sl.waiters = append(sl.waiters, me)
		return func() { sl.drop(me) }
	})
}

// drop forgets a waiter that stopped waiting.
func (sl *slot) drop(me *slotWaiter) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for i, x := range sl.waiters {
		if x == me {
			sl.waiters = append(sl.waiters[:i], sl.waiters[i+1:]...)
			sl.queued.Add(-1)
			return
		}
	}
}

// release hands the slot to the first waiter still waiting, or frees it.
// With nobody queued it frees the slot without the lock (every socket
// call releases a slot). A waiter counts itself in queued before its last
// try to take the slot, so if it queued after all, the check that follows
// the store sees it, and the slot, if still free, is taken back for it.
func (sl *slot) release() {
	if sl.queued.Load() == 0 {
		sl.holding.Store(false)
		if sl.queued.Load() == 0 {
			return
		}
		sl.mu.Lock()
		defer sl.mu.Unlock()
		if len(sl.waiters) == 0 || !sl.holding.CompareAndSwap(false, true) {
			return // it took the slot itself, or another caller did
		}
		sl.handOverLocked()
		return
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.handOverLocked()
}

// handOverLocked passes the held slot to the first waiter still waiting,
// or frees it.
func (sl *slot) handOverLocked() {
	for len(sl.waiters) > 0 {
		w := sl.waiters[0]
		sl.waiters = sl.waiters[1:]
		sl.queued.Add(-1)
		if w.wake() {
			return // handed over: still busy
		}
	}
	sl.holding.Store(false)
}

// busy reports whether someone holds the slot (tests wait for it).
func (sl *slot) busy() bool { return sl.holding.Load() }
