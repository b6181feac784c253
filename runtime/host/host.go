// Package host runs Lua scripts as tasks: one gopher-lua state shared by
// many goroutines that take turns, and waiting primitives that let the
// other tasks run meanwhile.
//
// The design follows the facts measured in DESIGN.md: a Go function that
// yields does not suspend inside pcall or a metamethod, so every task is a
// goroutine running its own Lua thread (L.NewThread), and exactly one of them
// runs Lua at a time. The interpreter changes hands only where a task waits
// (runtime/sched): code between two waits runs as one piece, as in copas,
// OpenResty, asyncio and luv. A waiting primitive gives the interpreter up,
// waits, and takes it back with the same task and Lua thread current, so
// waits work inside pcall, coroutines and metamethods.
package host

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/netio"
	"netplay/runtime/sched"
	"netplay/runtime/tracer"
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
	Stdin  io.Reader // io.read and io.lines; default: nothing (end of input)
	Stdout io.Writer // print and io.write; default io.Discard
	Stderr io.Writer // task errors; default io.Discard
	// Clock is the host's one clock (default the real one); a
	// sched.VirtualClock runs the host in virtual time.
	Clock sched.Clock
	// OpenScript resolves a script name (a file or a bundled name) to its
	// chunk name and source; used by the run() function of scripts.
	OpenScript func(name string) (chunk string, src []byte, err error)
	// OnListen, if set, is called (without the interpreter lock) each time a
	// script starts listening; tests use it to learn OS-chosen ports.
	OnListen func(addr net.Addr)
	// BusyWarning is how long a task may run without waiting before stderr
	// says so (default 1 s; negative: never).
	BusyWarning time.Duration
	// Network is where sockets live: the operating system's (default), or
	// an in-process one (the default under a virtual clock).
	Network netio.Network
	// MaxAlloc bounds, in bytes, a single result an operation builds for a
	// script (string.rep, .., table.concat, unpack, bin.pack, json.encode,
	// ...): past it the operation raises "<name>: result too large" instead
	// of the process running out of memory. 0: 1 GiB.
	MaxAlloc int
	// Shape, when set, shapes every socket of the run (--shape SPEC).
	Shape *netio.ShapeSpec
	// MaxBuffered bounds the bytes all sockets hold in their read buffers
	// (default 256 MiB): past it the connection asking for more gets
	// nil, "memory budget exceeded" and the others go on.
	MaxBuffered int64
}

// DefaultMaxBuffered is the budget for buffered input when none is set.
const DefaultMaxBuffered = 256 << 20

// Host owns the Lua state, the interpreter, the tasks and the open
// resources (sockets) of one running program.
type Host struct {
	L      *lua.LState
	opts   Options
	sched  *sched.Sched
	stdin  *Stdin
	budget *netio.Budget

	// current is the task holding the interpreter; only read or written by
	// the holder.
	current *Task
	// lockG is the G of Go code holding the interpreter through Lock.
	lockG *sched.G

	ctx    context.Context // cancelled by Shutdown
	cancel context.CancelFunc

	state     sync.Mutex // guards the fields below; never held while waiting for the interpreter
	tasks     map[int]*Task
	nextID    int
	resources map[*Resource]struct{}
	failed    bool           // some task ended with an uncaught error
	shut      bool           // Shutdown began: new resources close at once
	running   sync.WaitGroup // tasks that keep a run alive
	allTasks  sync.WaitGroup // every task, daemons included (Shutdown waits for these)

	exits      chan int // os.exit(n) was called
	trace      *tracer.Hub
	tap        atomic.Pointer[netio.Tap] // the trace's tap while it has sinks
	traceMu    sync.Mutex
	traceSinks map[string]func()    // SetTraceSink's, by name
	busy       atomic.Pointer[Task] // a task that keeps the interpreter too long
	watchdog   chan struct{}        // closed to stop the busy-task watchdog
	stopOnce   sync.Once
}

// New creates a Host with a fresh Lua state and the standard libraries open.
func New(opts Options) *Host {
	if opts.Stdin == nil {
		opts.Stdin = strings.NewReader("")
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Clock == nil {
		opts.Clock = sched.RealClock{}
	}
	if opts.BusyWarning == 0 {
		opts.BusyWarning = time.Second
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = DefaultMaxBuffered
	}
	if opts.Network == nil {
		opts.Network = netio.Real
		if _, virtual := opts.Clock.(*sched.VirtualClock); virtual {
			opts.Network = netio.NewMemNetwork()
		}
	}
	L := lua.NewState(luaOptions(opts))
	h := &Host{
		L:         L,
		opts:      opts,
		sched:     sched.New(opts.Clock),
		tasks:     make(map[int]*Task),
		resources: make(map[*Resource]struct{}),
		watchdog:  make(chan struct{}),
		exits:     make(chan int, 1),
		stdin:     NewStdin(opts.Stdin),
		trace:     nil,
		budget:    netio.NewBudget(opts.MaxBuffered),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.trace = tracer.NewHub(opts.Clock.Now, taskInfo)
	L.G.Embedder = h
	h.installStdlib()
	h.wrapCoroutines()
	if opts.BusyWarning > 0 {
		go h.watchBusyTasks(opts.BusyWarning)
	}
	return h
}

// luaOptions keep a task's Lua thread small: the registry (data stack) starts
// at 32 slots (512 bytes: an idle connection's task holds it) and grows on demand (geometrically, in the patched
// gopher-lua) up to 1 Mi slots (16 MiB), and the call stack grows as needed
// up to 20,000 frames, Lua 5.1's LUAI_MAXCALLS (a recursive-descent parser
// on deeply nested input goes 10,000 deep). Past either: "stack overflow".
// With gopher-lua's defaults every thread retains about 100 KB (DESIGN.md).
// opts.MaxAlloc bounds what one operation may allocate.
func luaOptions(opts Options) lua.Options {
	return lua.Options{
		MaxAlloc:            opts.MaxAlloc,
		RegistrySize:        32,
		RegistryMaxSize:     1024 * 1024,
		RegistryGrowStep:    32,
		CallStackSize:       20000,
		MinimizeStackMemory: true,
	}
}

// Of returns the Host that owns L (any thread or coroutine of its state).
func Of(L *lua.LState) *Host {
	h, ok := L.G.Embedder.(*Host)
	if !ok {
		panic("netplay: Lua state has no host")
	}
	return h
}

// Stdin is the input io.read reads (the REPL on a pipe reads it too).
func (h *Host) Stdin() *Stdin { return h.stdin }

// Stdout is where print writes.
func (h *Host) Stdout() io.Writer { return h.opts.Stdout }

// Stderr is where task errors are reported.
func (h *Host) Stderr() io.Writer { return h.opts.Stderr }

// Clock is the host's one clock: every sleep, timer, deadline and now goes
// through it.
func (h *Host) Clock() sched.Clock { return h.opts.Clock }

// Virtual reports whether the host runs in virtual time.
func (h *Host) Virtual() bool {
	_, ok := h.opts.Clock.(*sched.VirtualClock)
	return ok
}

// RequestExit asks whoever runs the host (the CLI) to end the run with
// status code, closing every socket: os.exit(code). The first request wins.
func (h *Host) RequestExit(code int) {
	select {
	case h.exits <- code:
	default:
	}
}

// Exits delivers the status of an os.exit call.
func (h *Host) Exits() <-chan int { return h.exits }

// Budget is the budget every socket's read buffer counts against.
func (h *Host) Budget() *netio.Budget { return h.budget }

// Net is the network the host's sockets live on.
func (h *Host) Net() netio.Network { return h.opts.Network }

// Sched is the scheduler the host's tasks take turns on.
func (h *Host) Sched() *sched.Sched { return h.sched }

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

// Lock takes the interpreter for Go code that touches Lua values outside
// any task (setting up globals, the REPL's compiler and completion). It
// waits for its turn like a task does.
func (h *Host) Lock() {
	g := h.sched.NewG(nil)
	g.Acquire()
	h.lockG = g
}

// Unlock gives back the interpreter taken by Lock.
func (h *Host) Unlock() {
	g := h.lockG
	h.lockG = nil
	g.Release()
}

// Current is the task running Lua now; only meaningful with the
// interpreter held.
func (h *Host) Current() *Task { return h.current }

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

// WaitQuiet returns once every task waits and nothing known is about to
// wake one (see sched.Sched.Quiet), or when ctx is done. The REPL reads
// its next line only then, so what tasks print in answer to an entry comes
// before the next prompt.
func (h *Host) WaitQuiet(ctx context.Context) error {
	return h.sched.WaitQuiet(ctx, time.Millisecond, func() bool { return !netio.LocalInFlight() })
}

// Shutdown cancels every task, closes every resource and waits up to
// grace for the tasks to end. It returns an error naming the tasks that
// did not stop in time (a task stuck in a Go call that ignores cancellation).
// The Lua state stays usable only for inspection afterwards.
func (h *Host) Shutdown(grace time.Duration) error {
	h.stopOnce.Do(func() { close(h.watchdog) })
	h.cancel()
	for _, t := range h.Tasks() {
		t.g.CancelWake()
	}
	h.state.Lock()
	h.shut = true
	res := make([]*Resource, 0, len(h.resources))
	for r := range h.resources {
		res = append(res, r)
	}
	h.state.Unlock()
	for _, r := range res {
		r.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	all := make(chan struct{})
	go func() {
		h.allTasks.Wait()
		close(all)
	}()
	var err error
	select {
	case <-all:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
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
