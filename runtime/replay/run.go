package replay

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"netplay/runtime/netio"
)

// DefaultTimeout bounds each wait for the live program when Options do not.
const DefaultTimeout = 10 * time.Second

// Options tune a replay. The zero value plays on the operating system's
// network with goroutines, waiting DefaultTimeout for the live program.
type Options struct {
	// Timeout bounds each wait for the live program: a connection, the
	// next bytes, the end of its stream.
	Timeout time.Duration
	// Network is where the sockets live (netio.Real when nil).
	Network netio.Network
	// Spawn runs fn alongside the caller, with a Waiter of its own (a
	// host's task, for Lua); nil runs it on a goroutine with a GoWaiter.
	// parent is the caller's Waiter.
	Spawn func(parent netio.Waiter, name string, fn func(w netio.Waiter))
	// Own, when set, hears of every socket the replay opens and returns
	// what to close it by (a host makes it a resource of the task w stands
	// for, so that shutdown closes it too).
	Own func(w netio.Waiter, s *netio.Socket) io.Closer
	// Done, when set, hears of each connection as it ends without a
	// difference.
	Done func(ConnResult)
	// Speed keeps the recorded time between netplay's actions, divided by
	// Speed (1: as recorded, 10: ten times faster). 0, the default, acts
	// as soon as the order allows.
	Speed float64
}

// Result is how a replay ended.
type Result struct {
	// Diff is the first difference found; nil when everything matched.
	Diff  *Difference
	Conns []ConnResult // the connections that ended without a difference, as they ended
	// Cancelled is true when the waiter's context ended the replay, and
	// Stopped when Stop did, before it was over.
	Cancelled, Stopped bool
}

// OK reports whether the live program did all the recording says.
func (r *Result) OK() bool { return r.Diff == nil && !r.Cancelled && !r.Stopped }

// ConnResult is what happened on one connection.
type ConnResult struct {
	Name     string // as recorded
	Live     string // the live program's address
	Sent     int    // bytes netplay sent
	Writes   int    // in that many writes
	Received int    // bytes received from the live program, each as recorded
	Ended    string // how the live program ended: "closed", "reset", "" (the recording does not say)
}

// Replay is one replay: New makes it, Serve or Connect plays it (once),
// Stop ends it early from anywhere.
type Replay struct{ r *run }

// New prepares a replay of plan.
func New(plan *Plan, opts Options) *Replay { return &Replay{newRun(plan, opts)} }

// Serve plays the server: it accepts the live client's connections on ln
// (listening), the first for the plan's first connection and so on, and
// plays each. It returns when every connection has ended, at the first
// difference or once stopped, with ln and every connection closed and
// every worker returned (unless w's context was cancelled: then the
// workers are left to unwind, their sockets closed).
func (x *Replay) Serve(w netio.Waiter, ln *netio.Socket) *Result {
	r := x.r
	r.start = w.Now()
	r.own(w, ln)
	r.opts.Spawn(w, "replay accept", func(w netio.Waiter) { r.acceptLoop(w, ln) })
	return r.finish(w)
}

// Connect plays the client: it connects to addr once for each of the
// plan's connections (each when the recording's order allows) and plays
// each. It returns as Serve does.
func (x *Replay) Connect(w netio.Waiter, addr string) *Result {
	r := x.r
	r.start = w.Now()
	for i := range r.plan.Conns {
		r.opts.Spawn(w, "replay "+r.plan.Conns[i].Name, func(w netio.Waiter) { r.dialAndPlay(w, i, addr) })
	}
	return r.finish(w)
}

// Stop ends the replay without a difference: its sockets close, its waits
// end, and Serve or Connect returns a Result with Stopped set.
func (x *Replay) Stop() {
	x.r.update(func() {
		if !x.r.stopped {
			x.r.stopped, x.r.byStop = true, true
		}
	})
	x.r.closeAll()
}

// Serve is New(plan, opts).Serve(w, ln).
func Serve(w netio.Waiter, ln *netio.Socket, plan *Plan, opts Options) *Result {
	return New(plan, opts).Serve(w, ln)
}

// Connect is New(plan, opts).Connect(w, addr).
func Connect(w netio.Waiter, addr string, plan *Plan, opts Options) *Result {
	return New(plan, opts).Connect(w, addr)
}

// run is one replay under way.
type run struct {
	plan  *Plan
	opts  Options
	start time.Time // the replay's beginning, on the waiter's clock (for Speed)

	mu        sync.Mutex
	diff      *Difference
	stopped   bool // a difference, a cancellation or the end: everything unwinds
	cancelled bool // a worker's wait was cancelled
	byStop    bool // Stop ended it
	socks     []io.Closer
	next      []int // per connection: the seq of its first step not done (math.MaxInt when ended)
	ended     int   // connections ended
	workers   int   // goroutines or tasks still running
	waiters   []func() bool
	finished  []ConnResult
}

func newRun(plan *Plan, opts Options) *run {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Network == nil {
		opts.Network = netio.Real
	}
	r := &run{plan: plan, opts: opts, next: make([]int, len(plan.Conns))}
	for i, c := range plan.Conns {
		r.next[i] = c.Open
	}
	spawn := opts.Spawn
	if spawn == nil {
		spawn = func(parent netio.Waiter, _ string, fn func(netio.Waiter)) {
			go fn(netio.GoWaiter{Ctx: parent.Context()})
		}
	}
	r.opts.Spawn = func(parent netio.Waiter, name string, fn func(netio.Waiter)) {
		r.mu.Lock()
		r.workers++
		r.mu.Unlock()
		spawn(parent, name, func(w netio.Waiter) {
			defer r.update(func() { r.workers-- })
			fn(w)
		})
	}
	return r
}

// finish waits until every connection has ended (or the replay stopped)
// and every worker has returned, closes everything, and says how it went.
func (r *run) finish(w netio.Waiter) *Result {
	err := r.wait(w, "replay", func() bool { return r.stopped || r.ended == len(r.plan.Conns) })
	r.update(func() { r.stopped = true }) // from here on, nothing is a difference
	r.closeAll()
	// The workers unwind at once now (their sockets are closed); a
	// cancelled caller cannot wait, and leaves them to it.
	if err == nil {
		r.wait(w, "replay", func() bool { return r.workers == 0 })
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Result{Diff: r.diff, Conns: r.finished, Stopped: r.byStop && r.diff == nil,
		Cancelled: r.diff == nil && !r.byStop && (err != nil || r.cancelled)}
}

// wait parks until cond (checked with r.mu held) is true. It fails only
// when the waiter's task is cancelled.
func (r *run) wait(w netio.Waiter, what string, cond func() bool) error {
	for {
		r.mu.Lock()
		if cond() {
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		err := w.Park(what, time.Time{}, func(wake func() bool) func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if cond() {
				wake()
				return func() {}
			}
			r.waiters = append(r.waiters, wake)
			return func() {}
		})
		if err != nil {
			return err
		}
	}
}

// update changes the run's state under its lock and wakes every waiter
// to look again.
func (r *run) update(fn func()) {
	r.mu.Lock()
	fn()
	waiters := r.waiters
	r.waiters = nil
	r.mu.Unlock()
	for _, wake := range waiters {
		wake()
	}
}

// own records a socket to close at the end (at once if the run stopped)
// and returns what to close it by.
func (r *run) own(w netio.Waiter, s *netio.Socket) io.Closer {
	var c io.Closer = s
	if r.opts.Own != nil {
		c = r.opts.Own(w, s)
	}
	r.mu.Lock()
	stopped := r.stopped
	if !stopped {
		r.socks = append(r.socks, c)
	}
	r.mu.Unlock()
	if stopped {
		c.Close()
	}
	return c
}

func (r *run) closeAll() {
	r.mu.Lock()
	socks := r.socks
	r.socks = nil
	r.mu.Unlock()
	for _, s := range socks {
		s.Close()
	}
}

// fail records d as the difference unless one came first, and stops
// everything.
func (r *run) fail(d *Difference) {
	r.update(func() {
		if r.diff == nil && !r.stopped {
			r.diff = d
		}
		r.stopped = true
	})
	r.closeAll()
}

// halt stops the replay without a difference of its own: err is why a
// worker stopped (a cancellation is remembered as one), nil when it saw
// the replay stopping.
func (r *run) halt(err error) {
	r.update(func() {
		r.stopped = true
		if errors.Is(err, netio.ErrCancelled) {
			r.cancelled = true
		}
	})
}

// isStopped reports whether the replay is unwinding.
func (r *run) isStopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// progress records that connection i's steps before seq are done.
func (r *run) progress(i, seq int) {
	r.update(func() { r.next[i] = seq })
}

// end records that connection i ended.
func (r *run) end(i int, res *ConnResult) {
	r.update(func() {
		r.next[i] = math.MaxInt
		r.ended++
		if res != nil {
			r.finished = append(r.finished, *res)
		}
	})
	if res != nil && r.opts.Done != nil {
		r.opts.Done(*res)
	}
}

// turn waits until no other connection has a step recorded before seq
// still to do: netplay never acts ahead of the recording. With a Speed,
// it then waits until the step's time (rel) comes.
func (r *run) turn(w netio.Waiter, i, seq int, rel float64) error {
	if err := r.inOrder(w, i, seq); err != nil {
		return err
	}
	if r.opts.Speed <= 0 {
		return nil
	}
	// Rounded, not truncated: 1.002405 - 0.001006 is 1.0013989999... in
	// floating point, and the step would come a nanosecond before its
	// recorded microsecond (under virtual time, at 1.001398).
	due := r.start.Add(time.Duration(math.Round((rel - r.plan.Start) / r.opts.Speed * float64(time.Second))))
	if !w.Now().Before(due) {
		return nil
	}
	err := w.Park("replay: the recorded time", due, func(func() bool) func() { return func() {} })
	if errors.Is(err, netio.ErrTimeout) {
		return nil
	}
	return err
}

// inOrder waits until no other connection has a step recorded before seq
// still to do.
func (r *run) inOrder(w netio.Waiter, i, seq int) error {
	return r.wait(w, "replay: earlier steps", func() bool {
		if r.stopped {
			return true
		}
		for j, next := range r.next {
			if j != i && next < seq {
				return false
			}
		}
		return true
	})
}

// acceptLoop accepts the live client's connections and plays each.
// Connections past the recording's are a difference.
func (r *run) acceptLoop(w netio.Waiter, ln *netio.Socket) {
	n := len(r.plan.Conns)
	for k := 0; ; k++ {
		if k < n {
			// The wait for connection k starts when the recording says
			// it is due: once the steps recorded before it are done.
			if err := r.inOrder(w, k, r.plan.Conns[k].Open); err != nil || r.isStopped() {
				r.halt(err)
				return
			}
			ln.SetTimeout(r.opts.Timeout)
		} else {
			ln.SetTimeout(-1) // past the recording's: as long as the replay runs
		}
		s, err := ln.Accept(w)
		if r.isStopped() {
			if s != nil {
				s.Close()
			}
			return
		}
		switch {
		case err == nil && k < n:
			c := r.own(w, s)
			r.progress(k, r.firstStep(k))
			r.opts.Spawn(w, "replay "+r.plan.Conns[k].Name, func(w netio.Waiter) { r.play(w, k, s, c) })
		case err == nil:
			live := addrString(s.RemoteAddr())
			s.Close()
			r.fail(&Difference{Kind: ExtraConn, Side: r.plan.Side, Conn: fmt.Sprintf("connection %d", k+1), Live: live, Count: n})
			return
		case errors.Is(err, netio.ErrTimeout):
			c := r.plan.Conns[k]
			r.fail(&Difference{Kind: NoConn, Side: r.plan.Side, Conn: c.Name, Event: fmt.Sprintf("event %d: %s connect", c.Open, c.Name), Wait: r.opts.Timeout, Count: k})
			return
		case errors.Is(err, netio.ErrCancelled):
			r.halt(err)
			return
		default:
			r.fail(&Difference{Kind: Failed, Side: r.plan.Side, Conn: "accept", Err: netio.Message(err)})
			return
		}
	}
}

// dialAndPlay connects for connection i, when its turn comes, and plays it.
func (r *run) dialAndPlay(w netio.Waiter, i int, addr string) {
	c := r.plan.Conns[i]
	if err := r.turn(w, i, c.Open, c.OpenRel); err != nil || r.isStopped() {
		r.halt(err)
		return
	}
	s, err := netio.Dial(w, r.opts.Network, addr, r.opts.Timeout)
	if err != nil {
		if errors.Is(err, netio.ErrCancelled) {
			r.halt(err)
			return
		}
		r.fail(&Difference{Kind: DialFailed, Side: r.plan.Side, Conn: c.Name, Event: fmt.Sprintf("event %d: %s accept", c.Open, c.Name), Addr: addr, Err: netio.Message(err)})
		return
	}
	closer := r.own(w, s)
	r.progress(i, r.firstStep(i))
	r.play(w, i, s, closer)
}

// firstStep is the seq of connection i's first step (MaxInt: none).
func (r *run) firstStep(i int) int {
	if steps := r.plan.Conns[i].Steps; len(steps) > 0 {
		return steps[0].Seq
	}
	return math.MaxInt
}

// play walks connection i's steps on s, the live connection, and closes
// it by closer.
func (r *run) play(w netio.Waiter, i int, s *netio.Socket, closer io.Closer) {
	c := r.plan.Conns[i]
	p := &player{run: r, w: w, c: c, s: s, res: ConnResult{Name: c.Name, Live: addrString(s.RemoteAddr())}}
	for k, step := range c.Steps {
		// An expectation's timeout starts when the steps recorded before
		// it are done (the live program may send early: the bytes wait).
		wait := r.inOrder
		if step.Op != Expect && step.Op != ExpectEnd {
			wait = func(w netio.Waiter, i, seq int) error { return r.turn(w, i, seq, step.Rel) }
		}
		if err := wait(w, i, step.Seq); err != nil {
			r.halt(err)
			return
		}
		if r.isStopped() || !p.do(step) {
			return
		}
		next := math.MaxInt
		if k+1 < len(c.Steps) {
			next = c.Steps[k+1].Seq
		}
		r.progress(i, next)
	}
	closer.Close()
	r.end(i, &p.res)
}

// player plays one connection.
type player struct {
	*run
	w       netio.Waiter
	c       *Conn
	s       *netio.Socket
	res     ConnResult
	got     int64 // bytes received from the live program
	sent    int64 // bytes netplay sent
	liveEnd bool  // the live program ended its direction
}

// do takes one step; false when the replay stops (a difference, a
// cancellation).
func (p *player) do(step Step) bool {
	switch step.Op {
	case Write:
		return p.write(step)
	case Expect:
		return p.expect(step)
	case CloseWrite:
		if err := p.s.Shutdown("w"); err != nil && !p.isStopped() {
			p.fail(p.diff(step, &Difference{Kind: Failed, Err: "shutdown: " + netio.Message(err)}))
			return false
		}
		return true
	case ExpectEnd:
		return p.expectEnd(step)
	case Reset:
		p.s.Reset()
		return true
	}
	return true
}

// diff fills in what every difference on this connection says.
func (p *player) diff(step Step, d *Difference) *Difference {
	d.Side, d.Conn, d.Event = p.plan.Side, p.c.Name, p.c.describe(step)
	d.Expected, d.Wait = p.c.Expects, p.opts.Timeout
	return d
}

// write sends step.Data in one write. A live program that has already
// closed its side, where the recorded one had not, is gone too early.
func (p *player) write(step Step) bool {
	if !p.liveEnd {
		p.s.SetTimeout(0) // look, do not wait
		b, err := p.s.Peek(p.w, 1)
		switch {
		case err == nil && len(b) == 0:
			return p.gone(step, step.Offset, "it closed the connection")
		case err != nil && netio.Message(err) == "connection reset":
			return p.gone(step, step.Offset, "it reset the connection")
		}
	}
	p.s.SetTimeout(p.opts.Timeout)
	n, err := p.s.Send(p.w, step.Data)
	p.sent += int64(n)
	p.res.Sent += n
	p.res.Writes++
	switch {
	case err == nil:
		return true
	case p.isStopped(), errors.Is(err, netio.ErrCancelled):
		p.halt(err)
		return false
	case errors.Is(err, netio.ErrTimeout):
		p.fail(p.diff(step, &Difference{Kind: WriteStuck, Offset: step.Offset + int64(n)}))
		return false
	}
	return p.gone(step, step.Offset+int64(n), "send: "+netio.Message(err))
}

// gone reports a live program that left before netplay had sent it what
// the recorded one received, from offset of netplay's stream.
func (p *player) gone(step Step, offset int64, why string) bool {
	p.fail(p.diff(step, &Difference{Kind: Gone, Offset: offset, Missing: len(p.c.Sends) - int(offset), Err: why}))
	return false
}

// expect receives step.Data from the live program, comparing each byte as
// it arrives.
func (p *player) expect(step Step) bool {
	p.s.SetTimeout(p.opts.Timeout)
	for done := 0; done < len(step.Data); {
		b, err := p.s.Recv(p.w, len(step.Data)-done)
		if err != nil || len(b) == 0 {
			return p.failRead(step, err)
		}
		for k := range b {
			if b[k] != step.Data[done+k] {
				off := step.Offset + int64(done+k)
				p.fail(p.diff(step, &Difference{Kind: Mismatch, Offset: off, Received: append(append([]byte(nil), p.c.Expects[:off]...), b[k:]...)}))
				return false
			}
		}
		done += len(b)
		p.got += int64(len(b))
		p.res.Received += len(b)
	}
	return true
}

// failRead reports a read that ended before the bytes expected came:
// err, or the end of the stream when err is nil.
func (p *player) failRead(step Step, err error) bool {
	if p.isStopped() || errors.Is(err, netio.ErrCancelled) || errors.Is(err, netio.ErrClosed) && p.s.Closed() {
		p.halt(err)
		return false
	}
	d := &Difference{Offset: p.got, Received: p.c.Expects[:p.got], Missing: int(step.Offset + int64(len(step.Data)) - p.got)}
	switch {
	case err == nil:
		d.Kind = EndedEarly
	case errors.Is(err, netio.ErrTimeout):
		d.Kind = Silent
	case netio.Message(err) == "connection reset":
		d.Kind = ResetEarly
	default:
		d.Kind, d.Err = Failed, netio.Message(err)
	}
	p.fail(p.diff(step, d))
	return false
}

// expectEnd waits for the live program to end its direction: the end of
// the stream or a reset. Bytes instead are more than recorded.
func (p *player) expectEnd(step Step) bool {
	if p.liveEnd {
		return true
	}
	p.s.SetTimeout(p.opts.Timeout)
	b, err := p.s.Recv(p.w, 4096)
	switch {
	case err == nil && len(b) == 0:
		p.liveEnd, p.res.Ended = true, "closed"
		return true
	case err == nil:
		extra := append(append([]byte(nil), p.c.Expects[:p.got]...), b...)
		p.fail(p.diff(step, &Difference{Kind: TooMuch, Offset: p.got, Received: extra}))
		return false
	case netio.Message(err) == "connection reset" && !p.isStopped():
		if step.Event != "reset" {
			// The recorded program closed; a close that resets left
			// bytes unread (the kernel says so with a reset).
			p.fail(p.diff(step, &Difference{Kind: ResetAtEnd, Offset: p.got}))
			return false
		}
		p.liveEnd, p.res.Ended = true, "reset"
		return true
	case errors.Is(err, netio.ErrTimeout) && !p.isStopped():
		p.fail(p.diff(step, &Difference{Kind: NoEnd, Offset: p.got}))
		return false
	}
	return p.failRead(step, err)
}

func addrString(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	return a.String()
}
