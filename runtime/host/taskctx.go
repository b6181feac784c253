package host

import (
	"context"
	"sync"
)

// taskContext is a task's context: cancelled by Task.Cancel (which the
// host's shutdown and the task's group call too), carrying the task, and
// with one cheap hook a wait in Go sets to be woken on cancellation. An
// idle connection's task waits in the network poller; a context.AfterFunc
// for that wait would cost it half a kilobyte for as long as it waits.
type taskContext struct {
	context.Context // context.WithCancel(context.Background())
	t               *Task

	mu   sync.Mutex
	hook func() // run (under mu) when the task is cancelled
}

// Value answers taskKey with the task.
func (c *taskContext) Value(key any) any {
	if _, ok := key.(taskKey); ok {
		return c.t
	}
	return c.Context.Value(key)
}

// SetCancelHook makes f run when the task is cancelled, until
// ClearCancelHook; it reports false, setting nothing, when the task is
// cancelled already. One hook at a time: a task waits for one thing.
func (c *taskContext) SetCancelHook(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err() != nil {
		return false
	}
	c.hook = f
	return true
}

// ClearCancelHook removes the hook; once it returns, the hook is not
// running and will not run.
func (c *taskContext) ClearCancelHook() {
	c.mu.Lock()
	c.hook = nil
	c.mu.Unlock()
}

// runCancelHook runs the hook, if one is set (after the context was
// cancelled).
func (c *taskContext) runCancelHook() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hook != nil {
		c.hook()
		c.hook = nil
	}
}
