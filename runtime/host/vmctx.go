package host

// The context each Lua thread's VM checks before every instruction, and
// the watchdog that names a task that keeps the interpreter too long.

import (
	"context"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/sched"
)

// vmContext is what gopher-lua's VM checks between instructions: the
// task's cancellation, so task:cancel(), Ctrl-C and shutdown stop even a
// loop that never waits. Its Done has no side effect beyond printing the
// watchdog's warning once, from the task's own goroutine (where the
// thread's file and line can be read safely).
type vmContext struct {
	context.Context
	task *Task
	L    *lua.LState // the thread it is set on
}

func newVMContext(t *Task) *vmContext {
	return &vmContext{Context: t.ctx, task: t, L: t.thread}
}

// forThread is a context for another thread (a coroutine) run by the same
// task.
func (c *vmContext) forThread(L *lua.LState) *vmContext {
	return &vmContext{Context: c.Context, task: c.task, L: L}
}

// Err is called by the VM before an instruction now and then (patch 20);
// it is "cancelled" once the task's context is done, so the VM's error
// reads as every other cancellation does.
func (c *vmContext) Err() error {
	if c.task.warn.Load() {
		c.warnBusy()
	}
	if c.Context.Err() != nil {
		return ErrCancelled
	}
	return nil
}

// warnBusy prints that the task has kept the interpreter too long, and
// where it is.
func (c *vmContext) warnBusy() {
	t := c.task
	if !t.warn.CompareAndSwap(true, false) {
		return
	}
	where := strings.TrimSuffix(c.L.Where(0), ":")
	if where == "" {
		where = "a Go function"
	}
	fmt.Fprintf(t.host.opts.Stderr, "%s has run %.1f s without waiting, at %s; other tasks are stalled\n",
		t, t.host.opts.BusyWarning.Seconds(), where)
}

// watchBusyTasks warns, once per stretch, about a task that has held the
// interpreter for `after` without waiting: it looks four times per `after`
// at who holds it and how often it changed hands.
func (h *Host) watchBusyTasks(after time.Duration) {
	tick := time.NewTicker(after / 4)
	defer tick.Stop()
	var last uint64
	var lastHolder *sched.G
	var held time.Duration
	warned := false
	for {
		select {
		case <-h.watchdog:
			return
		case <-tick.C:
		}
		switches, holder := h.sched.Switches()
		if holder == nil || holder != lastHolder || switches != last {
			last, lastHolder, held, warned = switches, holder, 0, false
			h.busy.Store(nil)
			continue
		}
		held += after / 4
		if held >= after && !warned {
			if t, ok := holder.Tag.(*Task); ok {
				t.warn.Store(true)
				h.busy.Store(t)
			}
			warned = true
		}
	}
}

// BusyTask is the task the watchdog found keeping the interpreter without
// waiting, or nil.
func (h *Host) BusyTask() *Task {
	t := h.busy.Load()
	if t == nil {
		return nil
	}
	select {
	case <-t.done:
		return nil
	default:
		return t
	}
}
