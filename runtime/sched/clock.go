package sched

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the one source of time of a scheduler and of everything it
// runs: now(), monotonic(), sleeps, timers and socket deadlines all read
// it, so a virtual clock can replace the real one.
type Clock interface {
	// Now is the wall-clock time. Its values compare monotonically.
	Now() time.Time
	// Monotonic is the time elapsed since the clock started.
	Monotonic() time.Duration
	// wakeAt arranges for p to be woken with TimedOut at deadline; the
	// returned func cancels that. Called with the scheduler's lock held.
	wakeAt(p *Parker, deadline time.Time) (stop func())
}

// RealClock is the operating system's clock.
type RealClock struct{}

var realStart = time.Now()

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Monotonic is the time since the process started.
func (RealClock) Monotonic() time.Duration { return time.Since(realStart) }

func (RealClock) wakeAt(p *Parker, deadline time.Time) func() {
	t := time.AfterFunc(time.Until(deadline), func() { p.wake(TimedOut) })
	return func() { t.Stop() }
}

// VirtualEpoch is where every virtual clock starts: 2026-01-01 00:00:00
// UTC, so now() reads 1767225600 at the start of every run.
var VirtualEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// VirtualClock is simulated time. It stands still while any task can run,
// and jumps to the next deadline as soon as every task waits and nothing
// outside the process is awaited; deadlines that fall at the same instant
// fire in the order they were set. The same program therefore sees the
// same times on every run, and a 3-second ticker ticks in microseconds.
type VirtualClock struct {
	mu     sync.Mutex // after the scheduler's lock
	now    time.Time
	timers timerHeap
	seq    uint64
	s      *Sched
}

// NewVirtualClock returns a virtual clock at VirtualEpoch. Give it to New.
func NewVirtualClock() *VirtualClock { return &VirtualClock{now: VirtualEpoch} }

func (v *VirtualClock) bind(s *Sched) { v.s = s }

// Now is the simulated time.
func (v *VirtualClock) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Monotonic is the simulated time since VirtualEpoch.
func (v *VirtualClock) Monotonic() time.Duration { return v.Now().Sub(VirtualEpoch) }

// Pending is how many deadlines are set.
func (v *VirtualClock) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

type vtimer struct {
	at    time.Time
	seq   uint64
	p     *Parker
	index int
}

func (v *VirtualClock) wakeAt(p *Parker, deadline time.Time) func() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	t := &vtimer{at: deadline, seq: v.seq, p: p}
	heap.Push(&v.timers, t)
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		if t.index >= 0 {
			heap.Remove(&v.timers, t.index)
		}
	}
}

// advanceLocked moves the clock to the earliest deadline and wakes every
// wait due then, in the order they were set. With no deadline left,
// nothing can ever wake the parked Gs: it reports a deadlock. Called with
// the scheduler's lock held, when no G can run.
func (v *VirtualClock) advanceLocked() {
	v.mu.Lock()
	if len(v.timers) == 0 {
		v.mu.Unlock()
		if fn := v.s.onDeadlock; fn != nil {
			go fn()
		}
		return
	}
	at := v.timers[0].at
	if at.After(v.now) {
		v.now = at
	}
	var due []*Parker
	for len(v.timers) > 0 && !v.timers[0].at.After(v.now) {
		due = append(due, heap.Pop(&v.timers).(*vtimer).p)
	}
	v.mu.Unlock()
	for _, p := range due {
		p.stop = nil // its timer is gone already
		p.wakeLocked(TimedOut)
	}
}

// timerHeap orders deadlines by time, then by when they were set.
type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
