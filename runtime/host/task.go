package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/sched"
)

// Task is one goroutine running a Lua function on its own Lua thread.
// The main chunk, every spawn, every timer and every REPL entry is a task.
type Task struct {
	id     int
	name   string
	host   *Host
	g      *sched.G
	thread *lua.LState // its own Lua thread (coroutines it resumes have theirs)
	ctx    *taskContext
	cancel context.CancelFunc
	done   chan struct{}
	quiet  bool
	borrow bool
	daemon bool
	prefix string
	label  string // how its traceback names its function ("" : main chunk)
	parent *Task
	group  *Group

	blockedMu sync.Mutex // guards blockedOn (a string, set at every wait: no allocation)
	blockedOn string
	warn      atomic.Bool // the watchdog saw it run too long without waiting
	vm        *vmContext

	// Touched only by the holder of the interpreter:
	beforeWait []beforeWait    // flushes to run before it next waits, in the order registered
	joiners    []*sched.Parker // tasks waiting for it to end
	collected  bool            // a join (or wait) took its result
	unjoined   []*Task         // tasks it started that failed as they started
	held       []holding       // what it holds (locks), to let go of at its end
	ended      bool            // finish ran
	turns      int             // socket calls done without waiting, in a row (Fair)
	resume     func()          // what a suspended Go function waits for (see Suspend)

	owned resourceSet // guarded by host.state

	// Set before done is closed; read after.
	results []lua.LValue
	err     error

	// Object is the task's Lua value (a userdata), made by the task module
	// the first time Lua asks for it; only touched with the interpreter held.
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
	// Group, if set, is the group the task joins (its parent's otherwise).
	Group *Group
	// Borrow: the task does not take over the sockets it receives on (a
	// REPL entry using a connection an earlier entry opened: Ctrl-C must
	// not close it).
	Borrow bool
	// Daemon: the task works for the host (a shaped socket's delivery) and
	// does not keep a run alive; Wait does not wait for it, Shutdown stops it.
	Daemon bool
	// FuncName is the name of the task's function where it was spawned
	// (spawn(worker): "worker"): its traceback then says in function
	// 'worker'. Without it a function is named by where it was defined.
	FuncName string
}

// ID is the task's number, unique within its host.
func (t *Task) ID() int { return t.id }

// Name is the task's label.
func (t *Task) Name() string { return t.name }

// Context is cancelled when the task is cancelled or the host shuts down.
func (t *Task) Context() context.Context { return t.ctx }

// Done is closed when the task has finished.
func (t *Task) Done() <-chan struct{} { return t.done }

// Thread is the task's own Lua thread.
func (t *Task) Thread() *lua.LState { return t.thread }

// Borrows reports whether the task leaves the sockets it receives on
// with their owners (SpawnOptions.Borrow).
func (t *Task) Borrows() bool { return t.borrow }

// Parent is the task that spawned it (nil for tasks started from Go).
func (t *Task) Parent() *Task { return t.parent }

// Daemon reports whether the task works for the host (SpawnOptions.Daemon).
func (t *Task) Daemon() bool { return t.daemon }

// Cancel stops the task: a wait it is in ends at once, and its Lua code
// raises "cancelled" at the next instruction.
func (t *Task) Cancel() {
	t.cancel()
	t.ctx.runCancelHook()
	t.g.CancelWake()
}

// BlockedOn says what the task waits for, "" when it is running Lua.
func (t *Task) BlockedOn() string {
	t.blockedMu.Lock()
	defer t.blockedMu.Unlock()
	return t.blockedOn
}

func (t *Task) setBlockedOn(what string) {
	t.blockedMu.Lock()
	t.blockedOn = what
	t.blockedMu.Unlock()
}

// BeforeWait registers fn (under key, once) to run before the task next
// waits for anything, and when it ends. Deferred socket output is flushed
// this way, so a task never sleeps or waits elsewhere with replies held
// back. fn runs with the interpreter held and may wait itself. Call with
// the interpreter held.
func (t *Task) BeforeWait(key any, fn func(L *lua.LState)) {
	for i := range t.beforeWait { // a few at most: a list beats a map
		if t.beforeWait[i].key == key {
			t.beforeWait[i].fn = fn
			return
		}
	}
	t.beforeWait = append(t.beforeWait, beforeWait{key, fn})
}

// beforeWait is a function registered by BeforeWait, under its key.
type beforeWait struct {
	key any
	fn  func(L *lua.LState)
}

// runBeforeWait runs the registered functions, in the order they were
// registered, each taken off first: a flush that waits finds none left,
// and one registered meanwhile runs at the next wait.
func (t *Task) runBeforeWait(L *lua.LState) {
	if len(t.beforeWait) == 0 {
		return
	}
	run := t.beforeWait
	t.beforeWait = nil
	for i := range run {
		fn := run[i].fn
		run[i] = beforeWait{}
		fn(L)
	}
	if t.beforeWait == nil {
		t.beforeWait = run[:0] // its storage, for the next registrations
	}
}

// Status is "running" (it holds the interpreter), "ready" (it waits for
// its turn), "waiting: <what>", or once it has ended "done", "cancelled"
// or "failed: <message>".
func (t *Task) Status() string {
	select {
	case <-t.done:
		switch {
		case t.err == nil:
			return "done"
		case errors.Is(t.err, ErrCancelled):
			return "cancelled"
		}
		return "failed: " + firstLine(ErrorValue(t.err).String())
	default:
	}
	switch t.g.State() {
	case sched.Ready:
		return "ready"
	case sched.Parked, sched.Outside:
		if w := t.BlockedOn(); w != "" {
			return "waiting: " + w
		}
		return "waiting"
	}
	return "running"
}

// State is Status (the name :tasks and older callers use).
func (t *Task) State() string { return t.Status() }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (t *Task) String() string { return fmt.Sprintf("task %d (%s)", t.id, t.name) }

// Result returns what the task's function returned, or its error
// (ErrCancelled, or a *lua.ApiError). Only valid after Done.
func (t *Task) Result() ([]lua.LValue, error) { return t.results, t.err }

// Cancelled reports whether the task ended because it was cancelled.
func (t *Task) Cancelled() bool { return errors.Is(t.err, ErrCancelled) }

// Ended reports, with the interpreter held, whether the task has finished.
func (t *Task) Ended() bool { return t.ended }

// Collect marks the task's result as taken by a join: its error is then
// the joiner's to handle and is not printed. Call with the interpreter held.
func (t *Task) Collect() { t.collected = true }

// OnEnd registers p to be woken when the task ends (join, wait_any). Call
// with the interpreter held, on a task that has not ended.
func (t *Task) OnEnd(p *sched.Parker) { t.joiners = append(t.joiners, p) }

// TaskOfParker is the task that waits in p.
func TaskOfParker(p *sched.Parker) *Task {
	t, _ := p.G().Tag.(*Task)
	return t
}

// Hold records that t holds something (a lock) that must be let go of
// when t ends: release runs then, with the interpreter held, unless
// Unhold(key) came first.
func (t *Task) Hold(key any, release func()) {
	t.held = append(t.held, holding{key, release})
}

// Unhold forgets what Hold recorded under key.
func (t *Task) Unhold(key any) {
	for i, x := range t.held {
		if x.key == key {
			t.held = append(t.held[:i], t.held[i+1:]...)
			return
		}
	}
}

// holding is one thing a task holds and how to let go of it.
type holding struct {
	key     any
	release func()
}

// DropOnEnd forgets p (a join that timed out).
func (t *Task) DropOnEnd(p *sched.Parker) {
	for i, q := range t.joiners {
		if q == p {
			t.joiners = append(t.joiners[:i], t.joiners[i+1:]...)
			return
		}
	}
}

type taskKey struct{}

// TaskFrom returns the task whose context ctx is (the one a wait
// function gets), or nil.
func TaskFrom(ctx context.Context) *Task {
	t, _ := ctx.Value(taskKey{}).(*Task)
	return t
}

// newTask makes a task, complete, and then publishes it in the host's
// table, so :tasks and :kill never see a task half made.
func (h *Host) newTask(parent *Task, o SpawnOptions) *Task {
	t := &Task{host: h, done: make(chan struct{}), quiet: o.Quiet, borrow: o.Borrow, daemon: o.Daemon, parent: parent, name: o.Name, prefix: o.ErrorPrefix}
	if t.name == "" {
		t.name = "task"
	}
	t.group = o.Group
	if t.group == nil && parent != nil {
		t.group = parent.group
	}
	// The task's context has no parent: the host's shutdown and the
	// group's Cancel cancel their tasks one by one (a child context would
	// cost every idle connection's task an entry in the host's map).
	ctx, cancel := context.WithCancel(context.Background())
	t.ctx, t.cancel = &taskContext{Context: ctx, t: t}, cancel
	t.label = o.FuncName
	t.g = h.sched.NewG(t)
	t.thread, _ = h.L.NewThread()
	t.vm = newVMContext(t)
	t.thread.SetContext(t.vm)
	h.state.Lock()
	h.nextID++
	t.id = h.nextID
	if t.prefix == "" {
		t.prefix = fmt.Sprintf("task %d", t.id)
	}
	h.tasks[t.id] = t
	if !t.daemon {
		h.running.Add(1)
	}
	h.allTasks.Add(1)
	if t.group != nil {
		t.group.members[t] = struct{}{}
	}
	// Published and cancelled under one lock: Shutdown and Group.Cancel
	// cancel their context first, then every task they find.
	if h.ctx.Err() != nil || t.group != nil && t.group.ctx.Err() != nil {
		t.cancel()
	}
	h.state.Unlock()
	return t
}

// Spawn starts fn(args...) as a new task from Go code that does not hold
// the interpreter (the CLI, the REPL): the task queues for its turn. Sockets
// among args are handed to the new task.
func (h *Host) Spawn(fn *lua.LFunction, args []lua.LValue, o SpawnOptions) *Task {
	t := h.newTask(nil, o)
	h.giveResources(args, t)
	go t.run(fn, args, false)
	return t
}

// SpawnFrom starts fn(args...) as a new task from Lua (with the
// interpreter held by the caller): the new task runs at once, until it
// first waits or ends, and then the caller goes on before any other task.
// So `spawn(server)` followed by `connect` to what the server listens on
// never races. Sockets among args are handed to the new task.
func (h *Host) SpawnFrom(L *lua.LState, fn *lua.LFunction, args []lua.LValue, o SpawnOptions) *Task {
	parent := h.holderTask()
	t := h.newTask(parent, o)
	h.giveResources(args, t)
	go t.run(fn, args, true)
	th := L.G.CurrentThread
	h.give(parent, "spawn")
	parent.g.HandTo(t.g)
	h.take(parent, th)
	if !t.collected && t.ended && t.err != nil && !errors.Is(t.err, ErrCancelled) && !t.quiet {
		parent.unjoined = append(parent.unjoined, t)
	}
	return t
}

// run is the task's goroutine.
func (t *Task) run(fn *lua.LFunction, args []lua.LValue, eager bool) {
	h := t.host
	defer h.allTasks.Done()
	if !t.daemon {
		defer h.running.Done()
	}
	if eager {
		t.g.WaitTurn()
	} else {
		t.g.Acquire()
	}
	h.take(t, t.thread)
	t.label = functionLabel(fn, t.label)
	th := t.thread
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err := t.call(th, len(args))
	var results []lua.LValue
	if err == nil {
		for i := 1; i <= th.GetTop(); i++ {
			results = append(results, th.Get(i))
		}
	}
	th.SetTop(0)
	t.runBeforeWait(th)
	t.reportUnjoined()
	t.finish(results, err)
	h.current = nil
	t.thread, t.vm = nil, nil
	t.g.Release()
	t.cancel()
}

// call runs the task's function (on th's stack with its nargs arguments),
// suspending where a Go function chose to (see Host.Suspend): each
// suspension's wait runs here, at the bottom of the goroutine's stack, so
// a task idle in a wait holds a goroutine stack Go can shrink.
func (t *Task) call(th *lua.LState, nargs int) error {
	suspended, err := th.PCallSuspendable(nargs, lua.MultRet)
	for suspended {
		if wait := t.resume; wait != nil {
			t.resume = nil
			wait()
		}
		suspended, err = th.PContinue()
	}
	return err
}

// finish records the task's outcome, wakes its joiners, reports an
// uncaught error and closes what a failed or cancelled task owned.
// Called with the interpreter held.
func (t *Task) finish(results []lua.LValue, err error) {
	h := t.host
	if t.ctx.Err() != nil {
		// Cancelled: even if the function caught the error and returned.
		err, results = ErrCancelled, nil
	}
	t.results, t.err = results, err
	t.ended = true
	for len(t.held) > 0 {
		x := t.held[0]
		t.held = t.held[1:]
		x.release()
	}
	waited := len(t.joiners) > 0
	for _, p := range t.joiners {
		p.Wake()
	}
	t.joiners = nil
	if err != nil {
		eager := t.parent != nil && t.parent.BlockedOn() == "spawn"
		if !errors.Is(err, ErrCancelled) && !t.quiet && !waited && !eager {
			t.report()
		}
		h.closeOwned(t)
	}
	h.state.Lock()
	delete(h.tasks, t.id)
	h.state.Unlock()
	if t.group != nil {
		t.group.remove(t)
	}
	close(t.done)
}

// report prints the task's uncaught error and marks the run as failed.
// The text is escaped for the terminal: a message can carry any bytes.
func (t *Task) report() {
	h := t.host
	fmt.Fprintf(h.opts.Stderr, "%s: %s\n", t.prefix, EscapeText(relabel(FormatError(t.err), t.label)))
	h.state.Lock()
	h.failed = true
	h.state.Unlock()
}

// reportUnjoined prints the errors of tasks t started that failed while
// spawn started them, unless t has joined them since: called when t next
// waits or ends.
func (t *Task) reportUnjoined() {
	for _, u := range t.unjoined {
		if !u.collected {
			u.report()
		}
	}
	t.unjoined = nil
}

// functionLabel is how a task's traceback names the function the task
// runs: "" (gopher-lua's "main chunk") for a chunk or a Go function,
// function 'name' when it was spawned by that name, else function
// <source:line> as Lua names a function without one.
func functionLabel(fn *lua.LFunction, name string) string {
	switch {
	case fn.IsG || fn.Proto == nil || fn.Proto.LineDefined == 0:
		return ""
	case name != "":
		return "function '" + name + "'"
	}
	return fmt.Sprintf("function <%s:%d>", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// relabel names the task's function in its traceback: gopher-lua calls
// the first frame of every thread "main chunk", and adds a "[G]: ?" line
// for the Go code that started it, which is dropped.
func relabel(trace, label string) string {
	if label == "" {
		return trace
	}
	lines := strings.Split(trace, "\n")
	if n := len(lines); n > 1 && lines[n-1] == "\t[G]: ?" {
		lines = lines[:n-1]
	}
	if n := len(lines); n > 1 && strings.HasSuffix(lines[n-1], " in main chunk") {
		lines[n-1] = strings.TrimSuffix(lines[n-1], "main chunk") + label
	}
	return strings.Join(lines, "\n")
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
