package lualib

import (
	"context"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
	"netplay/runtime/sched"
)

// netWaiter is how a socket call made from Lua waits (netio.Waiter): real
// I/O outside the interpreter, in-process waits parked, both on behalf
// of the task running L. A cancellation is reported to netio as
// ErrCancelled so it unwinds first; the caller then raises it (done).
//
// It holds only L, so passing it as a netio.Waiter allocates nothing.
type netWaiter struct {
	L *lua.LState
}

func newWaiter(L *lua.LState) netWaiter { return netWaiter{L: L} }

// h is the host of the task.
func (w netWaiter) h() *host.Host { return host.Of(w.L) }

func (w netWaiter) Context() context.Context { return w.h().Current().Context() }

func (w netWaiter) Now() time.Time { return w.h().Clock().Now() }

func (w netWaiter) Outside(what string, probe func() bool, wait func(ctx context.Context) error) error {
	err, cancelled := w.h().OutsideErr(w.L, what, probe, wait)
	if cancelled {
		return netio.ErrCancelled
	}
	return err
}

func (w netWaiter) Park(what string, deadline time.Time, arm func(wake func() bool) func()) error {
	p := w.h().Parker()
	disarm := arm(p.Wake)
	r := w.h().ParkQuiet(w.L, what, p, deadline)
	disarm()
	switch r {
	case sched.TimedOut:
		return netio.ErrTimeout
	case sched.Cancelled:
		return netio.ErrCancelled
	}
	return nil
}

func (w netWaiter) Fair() { w.h().Fair(w.L) }

// done raises "cancelled" when the task was cancelled during the call.
func (w netWaiter) done() { w.h().RaiseIfCancelled(w.L) }

// restartWaiter is the netWaiter of a call that can be suspended and
// called again (netio.Suspender): a framed recv, recv_until and
// recv_exactly consume nothing before what they return is all there (not
// plain recv(n), which reads at most n bytes at a time).
type restartWaiter struct{ netWaiter }

// Suspend implements netio.Suspender.
func (w restartWaiter) Suspend(wait func()) bool {
	h := w.h()
	if !h.CanSuspend(w.L) || h.Current().Context().Err() != nil {
		return false // a cancelled task's receive meets its cancellation
	}
	h.Suspend(w.L, wait)
	return true
}
