// Package sched hands one interpreter to many goroutines, one at a time,
// the way netplay's tasks share one Lua state. It knows nothing of Lua.
//
// Each task is a goroutine with a G. A G holds the interpreter from one
// wait to the next: it gives it up only when it waits, and it gets it back
// in the order the tasks became ready (a FIFO queue), so code between two
// waits runs as one piece and no ready task is passed over.
//
// A G waits in one of two ways:
//
//   - Park: for something inside the process (a queue, an event, a timer,
//     a socket of the in-process network, another task's end). Whoever
//     makes it happen calls Parker.Wake, which puts the G in the ready
//     queue at once, so wake-ups are ordered by when they happened, not by
//     which goroutine runs first.
//   - Leave/Return: around Go code that blocks on the outside world (a real
//     socket, stdin, a child process). The G comes back by itself and
//     queues up when it does.
//
// Because every in-process wake-up goes through the scheduler, it knows
// when every task waits and nothing in flight can wake one: then a virtual
// clock may jump to its next deadline (see VirtualClock), and the REPL may
// read its next line (Quiet).
package sched

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// State is where a G is.
type State int

// The states of a G.
const (
	Idle    State = iota // not started, or finished
	Running              // holds the interpreter
	Ready                // queued for the interpreter
	Parked               // waiting for a Parker's wake-up
	Outside              // waiting in Go code that ends by itself
)

var stateNames = [...]string{"idle", "running", "ready", "parked", "outside"}

func (s State) String() string { return stateNames[s] }

// Sched is the interpreter lock and its queue of ready Gs.
type Sched struct {
	mu       sync.Mutex
	holder   *G
	ready    queue
	outside  list   // Gs in an outside wait
	parked   int    // Gs parked
	switches uint64 // times the interpreter changed hands
	clock    Clock
	virtual  *VirtualClock // the clock, when it is virtual
	watchers int           // goroutines waiting in WaitQuiet
	changed  chan struct{} // closed when the state changes, while watched
	oneP     bool          // Go runs one goroutine at a time (GOMAXPROCS 1): see Leave
	// onDeadlock, when set, hears that every G is parked under a
	// virtual clock with no timer left (nothing can ever wake them).
	onDeadlock func()
}

// New returns a scheduler whose timers use clock (nil: the real clock).
func New(clock Clock) *Sched {
	if clock == nil {
		clock = RealClock{}
	}
	s := &Sched{clock: clock, oneP: runtime.GOMAXPROCS(0) == 1}
	if v, ok := clock.(*VirtualClock); ok {
		v.bind(s)
		s.virtual = v
	}
	return s
}

// Clock is the scheduler's clock.
func (s *Sched) Clock() Clock { return s.clock }

// OnDeadlock sets fn to run (in its own goroutine) when, under a virtual
// clock, every G is parked and no timer is left to wake any of them.
func (s *Sched) OnDeadlock(fn func()) {
	s.mu.Lock()
	s.onDeadlock = fn
	s.mu.Unlock()
}

// G is one goroutine's handle on the interpreter.
type G struct {
	s      *Sched
	turn   chan struct{} // a token: the interpreter was handed to this G
	state  State
	parker *Parker     // the wait it is parked in
	probe  func() bool // outside wait: reports whether it is about to end
	prev   *G          // links in Sched.outside
	next   *G
	// Tag is the caller's label for the G (the host's task).
	Tag any
}

// NewG returns a G that does not hold the interpreter yet.
func (s *Sched) NewG(tag any) *G {
	return &G{s: s, turn: make(chan struct{}, 1), Tag: tag}
}

// State is where g is now.
func (g *G) State() State {
	g.s.mu.Lock()
	defer g.s.mu.Unlock()
	return g.state
}

// Acquire waits until g holds the interpreter: at once when it is free,
// else after every G queued before it.
func (g *G) Acquire() {
	s := g.s
	s.mu.Lock()
	s.enqueueLocked(g)
	running := g.state == Running
	s.mu.Unlock()
	if !running {
		<-g.turn
	}
}

// enqueueLocked makes g ready: the holder if the interpreter is free, the
// tail of the queue otherwise. A G that becomes the holder this way
// without waiting on its turn must not also receive a token, so the token
// is sent only to a G that was queued.
func (s *Sched) enqueueLocked(g *G) {
	if s.holder == nil {
		s.holder = g
		g.state = Running
		s.switches++
		s.notifyLocked()
		return
	}
	g.state = Ready
	s.ready.push(g)
	s.notifyLocked()
}

// WaitTurn waits until another G hands g the interpreter with HandTo.
func (g *G) WaitTurn() { <-g.turn }

// Release gives up the interpreter for good (the task has ended).
func (g *G) Release() {
	s := g.s
	s.mu.Lock()
	g.state = Idle
	s.handOverLocked(g)
	s.mu.Unlock()
}

// handOverLocked passes the interpreter from g to the next ready G, or
// leaves it free; with nothing ready and nothing outside, a virtual clock
// moves to its next deadline.
func (s *Sched) handOverLocked(g *G) {
	if s.holder != g {
		panic("sched: a G that does not hold the interpreter handed it over")
	}
	s.holder = nil
	if next := s.ready.pop(); next != nil {
		s.giveLocked(next)
		return
	}
	s.notifyLocked()
	if s.virtual != nil && s.outside.len == 0 && s.parked > 0 {
		s.virtual.advanceLocked()
	}
}

// giveLocked makes g, a queued G, the holder and sends it its token.
func (s *Sched) giveLocked(g *G) {
	s.holder = g
	g.state = Running
	s.switches++
	g.turn <- struct{}{}
	s.notifyLocked()
}

// Yield lets every G that is ready now run first, then takes the
// interpreter back. With none ready it returns at once.
func (g *G) Yield() {
	s := g.s
	s.mu.Lock()
	if s.ready.len == 0 {
		s.mu.Unlock()
		return
	}
	g.state = Ready
	s.ready.push(g)
	s.giveLocked(s.ready.pop())
	s.mu.Unlock()
	<-g.turn
}

// HandTo runs other, a new G that has not held the interpreter, at once;
// g gets the interpreter back as soon as other first waits or ends, before
// any G that was ready already. (spawn starts its task eagerly this way.)
// other's goroutine calls WaitTurn, not Acquire, to take it up.
func (g *G) HandTo(other *G) {
	s := g.s
	s.mu.Lock()
	if s.holder != g {
		s.mu.Unlock()
		panic("sched: HandTo by a G that does not hold the interpreter")
	}
	g.state = Ready
	s.ready.pushFront(g)
	s.giveLocked(other)
	s.mu.Unlock()
	<-g.turn
}

// Leave gives up the interpreter for an outside wait: Go code that blocks
// until the outside world acts (a real socket, stdin). probe, when not
// nil, reports whether that wait is about to end (data is ready), for
// Quiet; without one the wait counts as quiet. Call Return after it.
//
// When Go runs one goroutine at a time (GOMAXPROCS 1, as on one CPU), the
// goroutines that are ready to run go first, before Leave returns (Go's
// runtime.Gosched): those the network poller woke with this one take the
// interpreter in turn, and this wait begins after them. By then the peer
// of a connection in a ping-pong has more often answered, so the wait's
// first read finds input instead of failing and parking the goroutine:
// a 16-connection echo on one CPU read 1.3 times a message, not 2. With
// more, the others run beside this one anyway, and the yield cost a
// client and server in one process on two CPUs a quarter of their
// messages (BenchmarkHeaderEcho, one message in flight).
func (g *G) Leave(probe func() bool) {
	s := g.s
	s.mu.Lock()
	g.state = Outside
	g.probe = probe
	s.outside.add(g)
	s.handOverLocked(g)
	s.mu.Unlock()
	if s.oneP {
		runtime.Gosched()
	}
}

// Return ends an outside wait: g queues for the interpreter and has it
// when Return returns.
func (g *G) Return() {
	s := g.s
	s.mu.Lock()
	s.outside.remove(g)
	g.probe = nil
	s.enqueueLocked(g)
	running := g.state == Running
	s.mu.Unlock()
	if !running {
		<-g.turn
	}
}

// Reason says why a park ended.
type Reason int

// Why a Parker was woken.
const (
	Woken     Reason = iota + 1 // Wake was called: the awaited thing happened
	TimedOut                    // the deadline passed
	Cancelled                   // the context was cancelled
)

// Errors for a park that did not end with Wake.
var (
	ErrTimeout   = errors.New("timeout")
	ErrCancelled = errors.New("cancelled")
)

// Parker is one in-process wait of one G. Make it with NewParker while
// holding the interpreter, give it to whatever will wake the G, then Park.
type Parker struct {
	g      *G
	woken  bool
	reason Reason
	stop   func() // stops the deadline timer
	// Value is what the waker hands over (a queue item, a task's result).
	Value any
}

// G is the G that waits.
func (p *Parker) G() *G { return p.g }

// NewParker returns a fresh wait for g.
func (g *G) NewParker() *Parker { return &Parker{g: g} }

// Wake ends the wait: the G is queued for the interpreter at once (or, if
// it has not parked yet, Park returns at once). It reports whether this
// call woke it; a wait ends only once.
func (p *Parker) Wake() bool { return p.wake(Woken) }

func (p *Parker) wake(r Reason) bool {
	s := p.g.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.wakeLocked(r)
}

func (p *Parker) wakeLocked(r Reason) bool {
	if p.woken {
		return false
	}
	p.woken, p.reason = true, r
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	g := p.g
	if g.state == Parked && g.parker == p {
		g.parker = nil
		g.s.parked--
		g.s.enqueueLockedWoken(g)
	}
	return true
}

// enqueueLockedWoken queues a G that a wake-up ended: like enqueueLocked,
// but a G made holder at once gets its token too, since its goroutine is
// blocked waiting for one.
func (s *Sched) enqueueLockedWoken(g *G) {
	if s.holder == nil {
		s.giveLocked(g)
		return
	}
	g.state = Ready
	s.ready.push(g)
	s.notifyLocked()
}

// Woken reports whether the wait has ended.
func (p *Parker) Woken() bool {
	s := p.g.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.woken
}

// Park gives up the interpreter until p is woken, the deadline passes (a
// zero deadline: none) or ctx is done, and returns holding it again, with
// why it woke. A wake-up that came before Park makes it return at once.
func (g *G) Park(ctx context.Context, p *Parker, deadline time.Time) Reason {
	s := g.s
	s.mu.Lock()
	switch {
	case p.woken:
	case ctx.Err() != nil:
		p.woken, p.reason = true, Cancelled
	case !deadline.IsZero() && !s.clock.Now().Before(deadline):
		p.woken, p.reason = true, TimedOut
	}
	if p.woken {
		s.mu.Unlock()
		return p.reason
	}
	if !deadline.IsZero() {
		p.stop = s.clock.wakeAt(p, deadline)
	}
	g.state = Parked
	g.parker = p
	s.parked++
	s.handOverLocked(g)
	s.mu.Unlock()
	<-g.turn
	return p.reason
}

// CancelWake wakes g with Cancelled if it is parked: call it right after
// cancelling the context g waits with, so the wake-up is queued now and
// not whenever a goroutine watching the context gets to run.
func (g *G) CancelWake() {
	s := g.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.state == Parked && g.parker != nil {
		g.parker.wakeLocked(Cancelled)
	}
}

// Switches counts how many times the interpreter changed hands, and
// Holder is who holds it now; a watchdog compares them over time to find
// a G that has not waited for long.
func (s *Sched) Switches() (switches uint64, holder *G) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switches, s.holder
}

// ReadyCount is how many Gs wait for their turn.
func (s *Sched) ReadyCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready.len
}

// Quiet reports whether every G waits and nothing known is about to wake
// one: the interpreter is free, none is ready, and no outside wait's probe
// says it is ending.
func (s *Sched) Quiet() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quietLocked()
}

func (s *Sched) quietLocked() bool {
	if s.holder != nil || s.ready.len > 0 {
		return false
	}
	for g := s.outside.head; g != nil; g = g.next {
		if g.probe != nil && g.probe() {
			return false
		}
	}
	return true
}

// WaitQuiet returns once Quiet holds and idle (when not nil) reports
// nothing else on its way, or when ctx is done (its error). Outside waits
// are probed again every poll, since the outside world does not tell the
// scheduler when it acts.
func (s *Sched) WaitQuiet(ctx context.Context, poll time.Duration, idle func() bool) error {
	for {
		s.mu.Lock()
		if s.quietLocked() && (idle == nil || idle()) {
			s.mu.Unlock()
			return nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.watchers++
		s.mu.Unlock()
		t := time.NewTimer(poll)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		s.mu.Lock()
		s.watchers--
		s.mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// notifyLocked wakes WaitQuiet callers after a change of state.
func (s *Sched) notifyLocked() {
	if s.watchers > 0 && s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Describe lists each G that is not idle with its state, for deadlock
// reports and tests.
func (s *Sched) Describe() (holder *G, ready []*G) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holder, s.ready.slice()
}
