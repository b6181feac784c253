package host

// The interpreter as tasks use it. A task gives it up only in the waits
// below (Outside, Park, Yield) and when it ends; each takes it back with
// the same task and Lua thread current. take and give are the only places
// that set current and CurrentThread.

import (
	"context"
	"errors"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/sched"
)

// ErrCancelled is what a wait returns when its task was cancelled or the
// host is shutting down.
var ErrCancelled = errors.New("cancelled")

// take records that t, running Lua thread th, holds the interpreter (it
// was just handed to it).
func (h *Host) take(t *Task, th *lua.LState) {
	h.current = t
	th.G.CurrentThread = th
	t.setBlockedOn("")
	t.turns = 0
}

// give records that the current task is about to give the interpreter up
// to wait on what.
func (h *Host) give(t *Task, what string) {
	t.setBlockedOn(what)
	h.current = nil
}

// holderTask is the task holding the interpreter; a wait called outside any
// task is a bug in the Go code calling it.
func (h *Host) holderTask() *Task {
	t := h.current
	if t == nil {
		panic("netplay: a wait outside any task")
	}
	return t
}

// Block runs wait with the interpreter given up, on behalf of the task that
// called into Go from Lua thread L: Go code that waits on the outside world
// (a real socket, stdin, a child process). what says what the task waits
// on (:tasks shows it). wait gets the task's context, cancelled by
// task:cancel() and by shutdown; it must not touch Lua values. When Block
// returns the interpreter is held again and L's thread is current.
//
// If the task was cancelled Block raises a Lua error ("cancelled") once
// wait has returned, so a cancelled task unwinds even through code that
// ignores results; its Lua thread also checks the context on every
// instruction.
func (h *Host) Block(L *lua.LState, what string, wait func(ctx context.Context)) {
	h.Outside(L, what, nil, wait)
}

// Outside is Block with a probe: probe, when not nil, reports (from
// another goroutine) whether the wait is about to end, for the REPL's
// WaitQuiet. Without one the wait counts as quiet.
func (h *Host) Outside(L *lua.LState, what string, probe func() bool, wait func(ctx context.Context)) {
	t := h.holderTask()
	h.flushBeforeWait(L, t)
	h.outside(L, t, what, probe, func(ctx context.Context) error { wait(ctx); return nil })
	h.raiseIfCancelled(L, t)
}

// OutsideQuiet is Outside for Go code that must unwind before the task
// stops: a cancellation is reported (true), not raised.
func (h *Host) OutsideQuiet(L *lua.LState, what string, probe func() bool, wait func(ctx context.Context)) (cancelled bool) {
	_, cancelled = h.OutsideErr(L, what, probe, func(ctx context.Context) error { wait(ctx); return nil })
	return cancelled
}

// OutsideErr is OutsideQuiet for a wait that returns an error (the
// socket layer's: its waits allocate nothing of their own).
func (h *Host) OutsideErr(L *lua.LState, what string, probe func() bool, wait func(ctx context.Context) error) (err error, cancelled bool) {
	t := h.holderTask()
	h.flushBeforeWait(L, t)
	err = h.outside(L, t, what, probe, wait)
	return err, t.ctx.Err() != nil
}

// ParkQuiet is Park for Go code that must unwind before the task stops:
// it returns sched.Cancelled instead of raising.
func (h *Host) ParkQuiet(L *lua.LState, what string, p *sched.Parker, deadline time.Time) sched.Reason {
	t := h.holderTask()
	h.flushBeforeWait(L, t)
	th := L.G.CurrentThread
	h.give(t, what)
	r := t.g.Park(t.ctx, p, deadline)
	h.take(t, th)
	return r
}

// RaiseIfCancelled raises "cancelled" in L when the running task was
// cancelled (after Go code that waited quietly has unwound).
func (h *Host) RaiseIfCancelled(L *lua.LState) {
	if t := h.current; t != nil {
		h.raiseIfCancelled(L, t)
	}
}

// fairTurns is how many socket calls a task may complete without waiting
// (their data was ready) before it lets the other ready tasks run: a
// connection that always has data must not starve the others. A count,
// not a time, so the same program switches at the same points every run.
const fairTurns = 16

// Fair counts a socket call that did not have to wait; every fairTurns of
// them in a row, the task yields to the tasks that are ready.
func (h *Host) Fair(L *lua.LState) {
	t := h.holderTask()
	t.turns++
	if t.turns < fairTurns {
		return
	}
	t.turns = 0
	if h.sched.ReadyCount() > 0 {
		h.Yield(L)
	}
}

// outside gives the interpreter up around wait; it is taken back even if
// wait panics, so Lua never runs without it.
func (h *Host) outside(L *lua.LState, t *Task, what string, probe func() bool, wait func(ctx context.Context) error) error {
	th := L.G.CurrentThread
	h.give(t, what)
	t.g.Leave(probe)
	defer func() {
		t.g.Return()
		h.take(t, th)
	}()
	return wait(t.ctx)
}

// raiseIfCancelled raises "cancelled" in a task whose context is done.
func (h *Host) raiseIfCancelled(L *lua.LState, t *Task) {
	if t.ctx.Err() != nil {
		L.RaiseError("%s", ErrCancelled.Error())
	}
}

// Parker returns a new in-process wait for the running task: hand it to
// whatever will wake the task (a queue, an event, another task's end),
// then call Park.
func (h *Host) Parker() *sched.Parker {
	return h.holderTask().g.NewParker()
}

// Park gives the interpreter up until p is woken, the deadline passes (a
// zero deadline: none) or the task is cancelled, which raises "cancelled"
// in L. It returns why it woke: sched.Woken or sched.TimedOut.
func (h *Host) Park(L *lua.LState, what string, p *sched.Parker, deadline time.Time) sched.Reason {
	t := h.holderTask()
	h.flushBeforeWait(L, t)
	th := L.G.CurrentThread
	h.give(t, what)
	r := t.g.Park(t.ctx, p, deadline)
	h.take(t, th)
	if r == sched.Cancelled {
		h.raiseIfCancelled(L, t)
	}
	return r
}

// Sleep parks the running task for d on the host's clock.
func (h *Host) Sleep(L *lua.LState, what string, d time.Duration) {
	h.Park(L, what, h.Parker(), h.Clock().Now().Add(d))
}

// Yield lets every task that is ready now run, then goes on.
func (h *Host) Yield(L *lua.LState) {
	t := h.holderTask()
	h.flushBeforeWait(L, t)
	th := L.G.CurrentThread
	h.give(t, "yield")
	t.g.Yield()
	h.take(t, th)
	h.raiseIfCancelled(L, t)
}

// flushBeforeWait writes the output a task's sockets held back (replies
// to pipelined requests) before it waits for anything (a write that must
// wait waits in turn), and it reports the errors of tasks it started that
// failed as it started them and that it has not joined.
func (h *Host) flushBeforeWait(L *lua.LState, t *Task) {
	t.reportUnjoined()
	t.runBeforeWait(L)
}

// CanSuspend reports whether the Go function running in L may end with
// Suspend: L is the running task's own thread and Lua code called the
// function directly (see lua.LState.CanSuspend).
func (h *Host) CanSuspend(L *lua.LState) bool {
	t := h.current
	return t != nil && L == t.thread && L.CanSuspend()
}

// Suspend ends the running Go function for now (it returns what Suspend
// returns): the task's goroutine unwinds the Lua frames off its stack,
// calls wait with the interpreter held (wait gives it up to block, as any
// wait does), then calls the Go function again with the same arguments.
// Only when CanSuspend; the function must be safe to call again (it
// consumed nothing) and wait must not raise Lua errors.
func (h *Host) Suspend(L *lua.LState, wait func()) int {
	h.current.resume = wait
	return L.Suspend()
}
