package sched

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bounded fails the test if done is not closed within a few seconds.
func bounded(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still running after 10 s")
	}
}

// run starts fn on its own goroutine as a G that first acquires the
// interpreter and releases it at the end; the returned channel closes
// when fn has returned.
func run(s *Sched, fn func(g *G)) <-chan struct{} {
	done := make(chan struct{})
	g := s.NewG(nil)
	go func() {
		defer close(done)
		g.Acquire()
		fn(g)
		g.Release()
	}()
	return done
}

// log is a record of what Gs did, written only by the holder of the
// interpreter (so it needs no lock of its own: the race detector checks
// that the scheduler's hand-overs order the writes).
type log struct{ lines []string }

func (l *log) add(format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}
func (l *log) String() string { return strings.Join(l.lines, ",") }

func TestIncrementsWithYieldsBetweenThemAreNeverLost(t *testing.T) {
	s := New(nil)
	var counter int
	var dones []<-chan struct{}
	for range 20 {
		dones = append(dones, run(s, func(g *G) {
			for range 10000 {
				counter = counter + 1
				g.Yield()
			}
		}))
	}
	for _, d := range dones {
		bounded(t, d)
	}
	if counter != 200000 {
		t.Fatalf("counter = %d, want 200000", counter)
	}
}

func TestReadyGsRunInTheOrderTheyQueued(t *testing.T) {
	s := New(nil)
	var l log
	first := s.NewG("first")
	first.Acquire()
	var dones []<-chan struct{}
	for i := range 5 {
		g := s.NewG(i)
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.Acquire()
			l.add("%d", i)
			g.Release()
		}()
		// Wait until g is queued before starting the next one.
		for g.State() != Ready {
			time.Sleep(time.Millisecond) // polling a state, not timing a race
		}
		dones = append(dones, done)
	}
	first.Release()
	for _, d := range dones {
		bounded(t, d)
	}
	if got := l.String(); got != "0,1,2,3,4" {
		t.Fatalf("order %s", got)
	}
}

func TestWakeUpsQueueInTheOrderTheyHappen(t *testing.T) {
	for range 50 {
		s := New(nil)
		var l log
		parked := map[string]*Parker{}
		var mu sync.Mutex // guards parked for the test goroutine only
		main := s.NewG("main")
		main.Acquire()
		var dones []<-chan struct{}
		for _, name := range []string{"a", "b", "c"} {
			g := s.NewG(name)
			p := g.NewParker()
			mu.Lock()
			parked[name] = p
			mu.Unlock()
			done := make(chan struct{})
			go func() {
				defer close(done)
				g.WaitTurn()
				g.Park(context.Background(), p, time.Time{})
				l.add("%s", name)
				g.Release()
			}()
			main.HandTo(g) // g runs until it parks
			dones = append(dones, done)
		}
		mu.Lock()
		parked["c"].Wake()
		parked["a"].Wake()
		parked["b"].Wake()
		mu.Unlock()
		l.add("main")
		main.Release()
		for _, d := range dones {
			bounded(t, d)
		}
		if got := l.String(); got != "main,c,a,b" {
			t.Fatalf("order %s, want main,c,a,b", got)
		}
	}
}

func TestHandToRunsTheNewGFirstThenTheGiver(t *testing.T) {
	s := New(nil)
	var l log
	main := s.NewG("main")
	main.Acquire()
	other := run(s, func(g *G) { l.add("queued") })
	for {
		_, ready := s.Describe()
		if len(ready) == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	child := s.NewG("child")
	childDone := make(chan struct{})
	go func() {
		defer close(childDone)
		child.WaitTurn()
		l.add("child")
		child.Yield()
		l.add("child again")
		child.Release()
	}()
	main.HandTo(child)
	l.add("main")
	main.Release()
	bounded(t, other)
	bounded(t, childDone)
	if got := l.String(); got != "child,main,queued,child again" {
		t.Fatalf("order %s", got)
	}
}

func TestParkEndsByDeadlineAndByCancel(t *testing.T) {
	s := New(nil)
	done := run(s, func(g *G) {
		start := time.Now()
		r := g.Park(context.Background(), g.NewParker(), time.Now().Add(20*time.Millisecond))
		if r != TimedOut || time.Since(start) < 20*time.Millisecond {
			t.Errorf("deadline: %v after %v", r, time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if r := g.Park(ctx, g.NewParker(), time.Time{}); r != Cancelled {
			t.Errorf("cancelled context: %v", r)
		}
		p := g.NewParker()
		p.Wake()
		if r := g.Park(context.Background(), p, time.Time{}); r != Woken {
			t.Errorf("woken before parking: %v", r)
		}
	})
	bounded(t, done)
}

func TestCancelWakeQueuesAParkedG(t *testing.T) {
	s := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	var l log
	main := s.NewG("main")
	main.Acquire()
	g := s.NewG("g")
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.WaitTurn()
		r := g.Park(ctx, g.NewParker(), time.Time{})
		l.add("g %v", r == Cancelled)
		g.Release()
	}()
	main.HandTo(g)
	cancel()
	g.CancelWake()
	if st := g.State(); st != Ready {
		t.Fatalf("after CancelWake g is %v, want ready", st)
	}
	l.add("main")
	main.Release()
	bounded(t, done)
	if got := l.String(); got != "main,g true" {
		t.Fatalf("log %s", got)
	}
}

func TestVirtualClockJumpsToDeadlinesInOrder(t *testing.T) {
	v := NewVirtualClock()
	s := New(v)
	var l log
	sleep := func(g *G, d time.Duration) {
		g.Park(context.Background(), g.NewParker(), v.Now().Add(d))
	}
	wall := time.Now()
	var dones []<-chan struct{}
	main := s.NewG("main")
	main.Acquire()
	for i, d := range []time.Duration{3 * time.Hour, time.Second, time.Second, 2 * time.Second} {
		g := s.NewG(i)
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.WaitTurn()
			sleep(g, d)
			l.add("%d@%v", i, v.Monotonic())
			g.Release()
		}()
		main.HandTo(g)
		dones = append(dones, done)
	}
	main.Release()
	for _, d := range dones {
		bounded(t, d)
	}
	if got, want := l.String(), "1@1s,2@1s,3@2s,0@3h0m0s"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if el := time.Since(wall); el > 5*time.Second {
		t.Fatalf("three virtual hours took %v of real time", el)
	}
	if !v.Now().Equal(VirtualEpoch.Add(3 * time.Hour)) {
		t.Fatalf("now %v", v.Now())
	}
}

func TestVirtualClockStandsStillWhileAGIsOutside(t *testing.T) {
	v := NewVirtualClock()
	s := New(v)
	release := make(chan struct{})
	outsideDone := make(chan struct{})
	var sawTime time.Duration
	out := s.NewG("outsider")
	outsider := make(chan struct{})
	go func() {
		defer close(outsider)
		out.Acquire()
		out.Leave(nil)
		<-release // the outside world takes its time
		out.Return()
		close(outsideDone)
		out.Release()
	}()
	for out.State() != Outside {
		time.Sleep(time.Millisecond)
	}
	sleeper := run(s, func(g *G) {
		g.Park(context.Background(), g.NewParker(), v.Now().Add(time.Minute))
		sawTime = v.Monotonic()
	})
	// While the outsider is out, time must not move although the sleeper
	// waits for a deadline.
	for s.Quiet() == false {
		time.Sleep(time.Millisecond)
	}
	if m := v.Monotonic(); m != 0 {
		t.Fatalf("clock moved to %v while a G was outside", m)
	}
	close(release)
	bounded(t, outsideDone)
	bounded(t, outsider)
	bounded(t, sleeper)
	if sawTime != time.Minute {
		t.Fatalf("sleeper woke at %v", sawTime)
	}
}

func TestVirtualDeadlockIsReported(t *testing.T) {
	v := NewVirtualClock()
	s := New(v)
	reported := make(chan struct{})
	s.OnDeadlock(func() { close(reported) })
	ctx, cancel := context.WithCancel(context.Background())
	var g *G
	done := make(chan struct{})
	g = s.NewG("stuck")
	go func() {
		defer close(done)
		g.Acquire()
		g.Park(ctx, g.NewParker(), time.Time{})
		g.Release()
	}()
	bounded(t, reported)
	cancel()
	g.CancelWake()
	bounded(t, done)
}

func TestQuietWaitsForReadyGsAndProbes(t *testing.T) {
	s := New(nil)
	var ready sync.Mutex // held: the probe says the outside wait is ending
	ready.Lock()
	probe := func() bool {
		if ready.TryLock() {
			ready.Unlock()
			return false
		}
		return true
	}
	back := make(chan struct{})
	out := s.NewG("outside")
	done := make(chan struct{})
	go func() {
		defer close(done)
		out.Acquire()
		out.Leave(probe)
		<-back
		out.Return()
		out.Release()
	}()
	for out.State() != Outside {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.WaitQuiet(ctx, time.Millisecond, nil); err == nil {
		t.Fatal("quiet while a probe says its wait is ending")
	}
	ready.Unlock()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := s.WaitQuiet(ctx2, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	close(back)
	bounded(t, done)
}

// TestAnOutsideWaitBeginsAfterTheReadyGoroutines: with one P (GOMAXPROCS
// 1, set before the scheduler is made), a G that leaves for an outside
// wait lets the goroutines that are ready to run go first (those the
// network poller woke with it), so they take the interpreter before its
// wait begins. A goroutine made ready just before Leave would otherwise
// run only once the leaver blocks.
func TestAnOutsideWaitBeginsAfterTheReadyGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := New(nil)
	var mu sync.Mutex
	var events []string
	note := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	// other is outside, waiting for its "input".
	other := s.NewG("other")
	input := make(chan struct{})
	otherLeft := make(chan struct{})
	otherDone := make(chan struct{})
	go func() {
		defer close(otherDone)
		other.Acquire()
		other.Leave(nil)
		close(otherLeft)
		<-input
		other.Return()
		note("other ran with the interpreter")
		other.Release()
	}()
	<-otherLeft
	leaver := s.NewG("leaver")
	leaver.Acquire()
	close(input) // other's input arrives: its goroutine is ready to run
	leaver.Leave(nil)
	note("leaver's wait began")
	leaver.Return()
	leaver.Release()
	bounded(t, otherDone)
	got := strings.Join(events, "; ")
	if want := "other ran with the interpreter; leaver's wait began"; got != want {
		t.Fatalf("events: %s\nwant:   %s", got, want)
	}
}
