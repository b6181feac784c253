// Package host runs Lua scripts as tasks: one gopher-lua state shared by
// many goroutines, one interpreter lock, and blocking primitives that release
// the lock while they wait.
//
// The design follows the facts measured in DESIGN.md: a Go function that
// yields does not suspend inside pcall or a metamethod, so every task is a
// goroutine running its own Lua thread (L.NewThread), and exactly one of them
// runs Lua at a time. A blocking primitive calls Host.Block, which saves the
// current Lua thread, unlocks, does its Go work, locks again and restores it.
// Blocking calls therefore work inside pcall, coroutines and metamethods.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	goruntime "runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/netio"
)

// Module is a Lua module the host preloads and exposes as a global.
type Module struct {
	Name   string
	Loader lua.LGFunction
	// Globals names fields of the module that are also set as globals of
	// the same name (spawn, sleep, ...). The module itself is always a global.
	Globals []string
}

// Options configure a Host. Zero values give sensible defaults.
type Options struct {
	Stdout io.Writer // print and io.write; default io.Discard
	Stderr io.Writer // task errors; default io.Discard
	Clock  Clock     // default RealClock
	// OpenScript resolves a script name (a file or a bundled name) to its
	// chunk name and source; used by the run() function of scripts.
	OpenScript func(name string) (chunk string, src []byte, err error)
	// OnListen, if set, is called (without the interpreter lock) each time a
	// script starts listening; tests use it to learn OS-chosen ports.
	OnListen func(addr net.Addr)
	// MaxAlloc bounds, in bytes, a single result an operation builds for a
	// script (string.rep, .., table.concat, unpack, bin.pack, json.encode,
	// ...): past it the operation raises "<name>: result too large" instead
	// of the process running out of memory. 0: 1 GiB.
	MaxAlloc int
}

// Host owns the Lua state, the interpreter lock, the tasks and the open
// resources (sockets) of one running program.
type Host struct {
	L    *lua.LState
	opts Options

	mu      sync.Mutex   // the interpreter lock: held whenever Lua code runs
	current *Task        // the task holding mu
	waiting atomic.Int32 // goroutines waiting for mu

	ctx    context.Context // cancelled by Shutdown
	cancel context.CancelFunc

	state     sync.Mutex // guards the fields below; never held while taking mu
	tasks     map[int]*Task
	nextID    int
	resources map[io.Closer]*Task // open sockets and their owning task
	failed    bool                // some task ended with an uncaught error
	running   sync.WaitGroup

	trace atomic.Pointer[netio.Tap]
}

// hostKey is the registry key under which the *Host is stored in its state.
const hostKey = "netplay.host"

// New creates a Host with a fresh Lua state and the standard libraries open.
func New(opts Options) *Host {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	L := lua.NewState(luaOptions(opts))
	h := &Host{
		L:         L,
		opts:      opts,
		tasks:     make(map[int]*Task),
		resources: make(map[io.Closer]*Task),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	ud := L.NewUserData()
	ud.Value = h
	L.SetField(L.Get(lua.RegistryIndex), hostKey, ud)
	h.installStdlib()
	h.wrapCoroutines()
	return h
}

// luaOptions keep a task's Lua thread small: the registry (data stack) starts
// at 128 slots and grows on demand (geometrically, in the patched
// gopher-lua) up to 1 Mi slots (16 MiB), and the call stack grows as needed
// up to 20,000 frames, Lua 5.1's LUAI_MAXCALLS (a recursive-descent parser
// on deeply nested input goes 10,000 deep). Past either: "stack overflow".
// With gopher-lua's defaults every thread retains about 100 KB (DESIGN.md).
// opts.MaxAlloc bounds what one operation may allocate.
func luaOptions(opts Options) lua.Options {
	return lua.Options{
		MaxAlloc:            opts.MaxAlloc,
		RegistrySize:        128,
		RegistryMaxSize:     1024 * 1024,
		RegistryGrowStep:    32,
		CallStackSize:       20000,
		MinimizeStackMemory: true,
	}
}

// Of returns the Host that owns L (any thread or coroutine of its state).
func Of(L *lua.LState) *Host {
	ud, ok := L.GetField(L.Get(lua.RegistryIndex), hostKey).(*lua.LUserData)
	if !ok {
		panic("netplay: Lua state has no host")
	}
	return ud.Value.(*Host)
}

// Stdout is where print writes.
func (h *Host) Stdout() io.Writer { return h.opts.Stdout }

// Stderr is where task errors are reported.
func (h *Host) Stderr() io.Writer { return h.opts.Stderr }

// Clock is the host's one clock: every sleep, timer and now goes through it.
func (h *Host) Clock() Clock { return h.opts.Clock }

// Context is cancelled when the host shuts down.
func (h *Host) Context() context.Context { return h.ctx }

// Options returns the options the host was made with.
func (h *Host) Options() Options { return h.opts }

// Install preloads each module (require-able) and sets it, and the fields
// it names in Globals, as globals. Call it before running any task.
func (h *Host) Install(mods []Module) error {
	L := h.L
	for _, m := range mods {
		L.PreloadModule(m.Name, m.Loader)
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("require"), NRet: 1, Protect: true}, lua.LString(m.Name)); err != nil {
			return fmt.Errorf("loading module %s: %w", m.Name, err)
		}
		mod := L.Get(-1)
		L.Pop(1)
		L.SetGlobal(m.Name, mod)
		for _, g := range m.Globals {
			v := L.GetField(mod, g)
			if v == lua.LNil {
				return fmt.Errorf("module %s has no field %s", m.Name, g)
			}
			L.SetGlobal(g, v)
		}
	}
	return nil
}

// Lock takes the interpreter lock for Go code that touches Lua values
// outside any task (setting up globals, the REPL's completion).
func (h *Host) Lock() { h.lock() }

// Unlock releases the lock taken by Lock.
func (h *Host) Unlock() { h.mu.Unlock() }

// Current is the task running Lua now; only meaningful with the lock held.
func (h *Host) Current() *Task { return h.current }

// acquire takes the interpreter lock for task t running on thread th.
func (h *Host) acquire(t *Task, th *lua.LState) {
	h.lock()
	h.current = t
	th.G.CurrentThread = th
}

// lock takes the interpreter lock, counting the wait so a busy task knows
// to hand it over.
func (h *Host) lock() {
	h.waiting.Add(1)
	h.mu.Lock()
	h.waiting.Add(-1)
}

// yieldLock lets tasks waiting for the interpreter lock run, then takes it
// back; the running task and Lua thread are restored.
func (h *Host) yieldLock() {
	if h.waiting.Load() == 0 {
		return
	}
	t, cur := h.current, h.L.G.CurrentThread
	h.mu.Unlock()
	goruntime.Gosched()
	h.lock()
	h.current, h.L.G.CurrentThread = t, cur
}

// ErrCancelled is what a blocking call returns when its task was cancelled
// or the host is shutting down.
var ErrCancelled = errors.New("cancelled")

// Block runs wait with the interpreter lock released, on behalf of the task
// that called into Go from Lua thread L. what says what the task waits on
// (shown by :tasks). wait gets the task's context, cancelled by task:cancel()
// and by shutdown; it must not touch Lua values. When Block returns the lock
// is held again and L's thread is current.
//
// If the task was cancelled Block raises a Lua error ("cancelled") after
// wait returns, so a cancelled task unwinds even through code that ignores
// results; its Lua thread also checks the context on every instruction.
func (h *Host) Block(L *lua.LState, what string, wait func(ctx context.Context)) {
	t := h.current
	if t == nil {
		panic("netplay: blocking call outside a task")
	}
	cur := L.G.CurrentThread
	t.setBlockedOn(what)
	flushes := t.takeBeforeWait()
	h.mu.Unlock()
	for _, flush := range flushes {
		flush(t.ctx)
	}
	wait(t.ctx)
	h.lock()
	h.current = t
	L.G.CurrentThread = cur
	t.setBlockedOn("")
	if t.ctx.Err() != nil {
		L.RaiseError("%s", ErrCancelled.Error())
	}
}

// Track registers an open resource (a socket) as owned by the current task,
// so that Shutdown closes it and so does the end of a failed or cancelled
// owner. Call with the interpreter lock held.
func (h *Host) Track(c io.Closer) {
	h.state.Lock()
	h.resources[c] = h.current
	h.state.Unlock()
}

// TrackFor registers a resource as owned by t; it needs no interpreter
// lock. A wait function that opens a socket tracks it at once with
// TrackFor(c, TaskFrom(ctx)), so a cancellation arriving before the task
// holds the lock again cannot leak it: the cancelled task closes what it
// owns.
func (h *Host) TrackFor(c io.Closer, t *Task) {
	h.state.Lock()
	h.resources[c] = t
	h.state.Unlock()
}

// Untrack forgets a resource; its Close has been called by its user.
func (h *Host) Untrack(c io.Closer) {
	h.state.Lock()
	delete(h.resources, c)
	h.state.Unlock()
}

// give makes t the owner of c if c is tracked (spawn(fn, sock) hands the
// socket to the new task).
func (h *Host) give(c io.Closer, t *Task) {
	h.state.Lock()
	if _, ok := h.resources[c]; ok {
		h.resources[c] = t
	}
	h.state.Unlock()
}

// Owned lists the resources t owns.
func (h *Host) Owned(t *Task) []io.Closer {
	h.state.Lock()
	defer h.state.Unlock()
	var out []io.Closer
	for c, owner := range h.resources {
		if owner == t {
			out = append(out, c)
		}
	}
	return out
}

// closeOwned closes every resource t still owns.
func (h *Host) closeOwned(t *Task) {
	for _, c := range h.Owned(t) {
		c.Close()
		h.Untrack(c)
	}
}

// Tasks lists the live tasks, by id.
func (h *Host) Tasks() []*Task {
	h.state.Lock()
	defer h.state.Unlock()
	out := make([]*Task, 0, len(h.tasks))
	for _, t := range h.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Task returns the live task with the given id, or nil.
func (h *Host) Task(id int) *Task {
	h.state.Lock()
	defer h.state.Unlock()
	return h.tasks[id]
}

// Failed reports whether any task ended with an uncaught error.
func (h *Host) Failed() bool {
	h.state.Lock()
	defer h.state.Unlock()
	return h.failed
}

// Wait returns when every task has finished, or when ctx is done.
func (h *Host) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown cancels every task, closes every tracked resource and waits up to
// grace for the tasks to end. It returns an error naming the tasks that
// did not stop in time (a task stuck in a Go call that ignores cancellation).
// The Lua state stays usable only for inspection afterwards.
func (h *Host) Shutdown(grace time.Duration) error {
	h.cancel()
	h.state.Lock()
	var res []io.Closer
	for c := range h.resources {
		res = append(res, c)
	}
	h.resources = make(map[io.Closer]*Task)
	h.state.Unlock()
	for _, c := range res {
		c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		var names []string
		for _, t := range h.Tasks() {
			names = append(names, t.String())
		}
		return fmt.Errorf("tasks still running after %v: %v", grace, names)
	}
	return nil
}

// Close shuts the host down and closes the Lua state.
func (h *Host) Close() error {
	err := h.Shutdown(2 * time.Second)
	if err == nil {
		h.L.Close()
	}
	return err
}

// ListenEvent reports a new listening address to Options.OnListen.
func (h *Host) ListenEvent(a net.Addr) {
	if h.opts.OnListen != nil {
		h.opts.OnListen(a)
	}
}

// SetTrace installs tap on every open socket and on those opened later;
// nil removes it.
func (h *Host) SetTrace(tap netio.Tap) {
	if tap == nil {
		h.trace.Store(nil)
	} else {
		h.trace.Store(&tap)
	}
	h.state.Lock()
	defer h.state.Unlock()
	for c := range h.resources {
		if s, ok := c.(*netio.Socket); ok {
			s.SetTap(tap)
		}
	}
}

// Trace is the tap new sockets get, or nil.
func (h *Host) Trace() netio.Tap {
	if p := h.trace.Load(); p != nil {
		return *p
	}
	return nil
}

// wrapCoroutines makes the threads of coroutines a script creates check
// their task's vmContext too, so a busy loop inside a coroutine also hands
// the interpreter lock over (gopher-lua gives them a plain child context).
func (h *Host) wrapCoroutines() {
	co, ok := h.L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	for _, name := range []string{"create", "wrap"} {
		orig, ok := co.RawGetString(name).(*lua.LFunction)
		if !ok || !orig.IsG {
			continue
		}
		co.RawSetString(name, h.L.NewFunction(h.adoptingThread(orig.GFunction)))
	}
}

// adoptingThread wraps coroutine.create or coroutine.wrap: the new thread
// (the result, or the wrap closure's upvalue) gets the running task's
// vmContext.
func (h *Host) adoptingThread(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		n := orig(L)
		t := h.current
		if t == nil || n != 1 {
			return n
		}
		var th *lua.LState
		switch v := L.Get(-1).(type) {
		case *lua.LState:
			th = v
		case *lua.LFunction:
			if len(v.Upvalues) == 1 {
				th, _ = v.Upvalues[0].Value().(*lua.LState)
			}
		}
		if th != nil {
			th.SetContext(t.vmContext())
		}
		return n
	}
}
