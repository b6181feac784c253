package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Task is one goroutine running a Lua function on its own Lua thread.
// The main chunk, every spawn, every timer and every REPL entry is a task.
type Task struct {
	id     int
	name   string
	host   *Host
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	quiet  bool
	prefix string

	blockedOn atomic.Pointer[string]

	// beforeWait are flushes to run before the task next waits, keyed by
	// what they flush; only touched with the lock held.
	beforeWait map[any]func(ctx context.Context)

	// Set before done is closed; read after.
	results []lua.LValue
	err     error

	// Object is the task's Lua value (a userdata), made by the task module
	// the first time Lua asks for it; only touched with the lock held.
	Object lua.LValue
}

// SpawnOptions name a task and say how its end is reported.
type SpawnOptions struct {
	Name string // shown by :tasks; default "task"
	// ErrorPrefix starts the error report; default "task N".
	ErrorPrefix string
	// Quiet: an uncaught error is not printed nor counted as a failure (the
	// REPL prints its entries' errors itself).
	Quiet bool
}

// ID is the task's number, unique within its host.
func (t *Task) ID() int { return t.id }

// Own makes t the owner of resource c (see Host.TrackFor); safe without
// the interpreter lock.
func (t *Task) Own(c io.Closer) { t.host.TrackFor(c, t) }

// BeforeWait registers fn (under key, once) to run, without the
// interpreter lock, before the task next waits for anything and when it
// ends. Deferred socket output is flushed this way, so a task never sleeps
// or waits elsewhere with replies held back. Call with the lock held.
func (t *Task) BeforeWait(key any, fn func(ctx context.Context)) {
	if t.beforeWait == nil {
		t.beforeWait = make(map[any]func(ctx context.Context))
	}
	t.beforeWait[key] = fn
}

// takeBeforeWait returns and clears the registered functions.
func (t *Task) takeBeforeWait() []func(ctx context.Context) {
	if len(t.beforeWait) == 0 {
		return nil
	}
	fns := make([]func(ctx context.Context), 0, len(t.beforeWait))
	for _, fn := range t.beforeWait {
		fns = append(fns, fn)
	}
	clear(t.beforeWait)
	return fns
}

// Name is the task's label.
func (t *Task) Name() string { return t.name }

// Context is cancelled when the task is cancelled or the host shuts down.
func (t *Task) Context() context.Context { return t.ctx }

// Done is closed when the task has finished.
func (t *Task) Done() <-chan struct{} { return t.done }

// Cancel stops the task: a blocking call it is in returns at once, and its
// Lua code raises "cancelled" at the next instruction.
func (t *Task) Cancel() { t.cancel() }

// BlockedOn says what the task waits for, "" when it is running Lua.
func (t *Task) BlockedOn() string {
	if p := t.blockedOn.Load(); p != nil {
		return *p
	}
	return ""
}

func (t *Task) setBlockedOn(what string) { t.blockedOn.Store(&what) }

// State is "running", "waiting: <what>" or "done".
func (t *Task) State() string {
	select {
	case <-t.done:
		return "done"
	default:
	}
	if w := t.BlockedOn(); w != "" {
		return "waiting: " + w
	}
	return "running"
}

func (t *Task) String() string { return fmt.Sprintf("task %d (%s)", t.id, t.name) }

// Result returns what the task's function returned, or its error
// (ErrCancelled, or a *lua.ApiError). Only valid after Done.
func (t *Task) Result() ([]lua.LValue, error) { return t.results, t.err }

// Cancelled reports whether the task ended because it was cancelled.
func (t *Task) Cancelled() bool { return errors.Is(t.err, ErrCancelled) }

type taskKey struct{}

// TaskFrom returns the task whose context ctx is (the one Block passes to
// its wait function), or nil.
func TaskFrom(ctx context.Context) *Task {
	t, _ := ctx.Value(taskKey{}).(*Task)
	return t
}

// Spawn starts fn(args...) as a new task. It can be called from Lua (with
// the interpreter lock held) or from Go (without it). Sockets among args are
// handed to the new task.
func (h *Host) Spawn(fn *lua.LFunction, args []lua.LValue, o SpawnOptions) *Task {
	h.state.Lock()
	h.nextID++
	t := &Task{id: h.nextID, name: o.Name, host: h, done: make(chan struct{}), quiet: o.Quiet, prefix: o.ErrorPrefix}
	h.tasks[t.id] = t
	h.running.Add(1)
	h.state.Unlock()
	if t.name == "" {
		t.name = "task"
	}
	if t.prefix == "" {
		t.prefix = fmt.Sprintf("task %d", t.id)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	t.ctx, t.cancel = context.WithValue(ctx, taskKey{}, t), cancel
	for _, a := range args {
		if c := resourceOf(a); c != nil {
			h.give(c, t)
		}
	}
	th, _ := h.L.NewThread()
	th.SetContext(t.vmContext())
	go t.run(th, fn, args)
	return t
}

// Wrapper is a Lua object that stands for a resource it wraps (a framed
// socket for its socket): handing it to a task hands over the resource.
type Wrapper interface {
	Unwrap() io.Closer
}

// resourceOf is the resource a Lua value holds: a tracked closer itself,
// or what a Wrapper wraps; nil for other values.
func resourceOf(v lua.LValue) io.Closer {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return nil
	}
	switch r := ud.Value.(type) {
	case Wrapper:
		return r.Unwrap()
	case io.Closer:
		return r
	}
	return nil
}

// run is the task's goroutine.
func (t *Task) run(th *lua.LState, fn *lua.LFunction, args []lua.LValue) {
	h := t.host
	defer h.running.Done()
	h.acquire(t, th)
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err := th.PCall(len(args), lua.MultRet, nil)
	var results []lua.LValue
	if err == nil {
		for i := 1; i <= th.GetTop(); i++ {
			results = append(results, th.Get(i))
		}
	}
	th.SetTop(0)
	if fns := t.takeBeforeWait(); fns != nil {
		h.mu.Unlock()
		for _, fn := range fns {
			fn(t.ctx)
		}
		h.lock()
	}
	t.finish(results, err)
	h.current = nil
	h.mu.Unlock()
	t.cancel()
}

// finish records the task's outcome, reports an uncaught error and closes
// what a failed or cancelled task owned. Called with the lock held.
func (t *Task) finish(results []lua.LValue, err error) {
	h := t.host
	if err != nil && t.ctx.Err() != nil {
		err = ErrCancelled
	}
	t.results, t.err = results, err
	if err != nil {
		if !errors.Is(err, ErrCancelled) && !t.quiet {
			fmt.Fprintf(h.opts.Stderr, "%s: %s\n", t.prefix, FormatError(err))
			h.state.Lock()
			h.failed = true
			h.state.Unlock()
		}
		h.closeOwned(t)
	}
	h.state.Lock()
	delete(h.tasks, t.id)
	h.state.Unlock()
	close(t.done)
}

// FormatError renders a Lua error as its message and traceback.
func FormatError(err error) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	msg := ae.Object.String()
	if ae.StackTrace == "" {
		return msg
	}
	return msg + "\n" + strings.TrimRight(ae.StackTrace, "\n")
}

// ErrorValue is the Lua value a task's error carries: the value passed to
// error(), or a string for cancellation and Go errors.
func ErrorValue(err error) lua.LValue {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// Join waits for t to finish (from Lua: blocks only the calling task) and
// returns its results or error.
func (t *Task) Join(ctx context.Context) ([]lua.LValue, error) {
	select {
	case <-t.done:
		return t.results, t.err
	case <-ctx.Done():
		return nil, ErrCancelled
	}
}

// switchInterval is how many Lua instructions a task runs before it offers
// the interpreter lock to a task waiting for it (Python's switch interval).
const switchInterval = 1000

// vmContext is the context a task's Lua thread checks before every
// instruction. Besides cancellation it counts instructions, and every
// switchInterval hands the lock to waiting tasks, so a busy loop cannot
// starve the others. Only the VM of the task's goroutine calls its Done.
type vmContext struct {
	context.Context
	done  <-chan struct{}
	host  *Host
	count int
}

// vmContext is a new instruction-counting context for one of t's threads.
func (t *Task) vmContext() *vmContext {
	return &vmContext{Context: t.ctx, done: t.ctx.Done(), host: t.host}
}

// Done is called by the VM between instructions, with the lock held.
func (c *vmContext) Done() <-chan struct{} {
	c.count++
	if c.count >= switchInterval {
		c.count = 0
		c.host.yieldLock()
	}
	return c.done
}
