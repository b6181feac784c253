package testrunner

// One run of a test file on a fresh host: to learn its tests, or to run
// one of them. Everything of the run happens in one task, so nothing else
// runs between its steps except at their waits, and the same test gives
// the same output every time under virtual time.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/sched"
)

// status is how a test ended.
type status int

const (
	passed status = iota
	failed
	skipped
)

// problem is one reason a test failed.
type problem struct {
	where   string // the test file's file:line the report points at
	message string // starts with a file:line
	trace   string // "stack traceback:" and its frames, or ""
}

// result is what the report says about one test (or a file that does
// not load).
type result struct {
	file, name string
	where      string // where the test is defined: file:line
	status     status
	problems   []*problem
	skip       string // "file:line: reason" for a skipped test
	output     string // what the test printed
	elapsed    time.Duration
}

// abortInfo is why the runner stopped a test from outside.
type abortInfo struct {
	reason string   // "timed out after 10s", "deadlock: ..."
	tasks  []string // each task and what it waited on then
}

// session is one host running one test file: to learn its tests (test
// "") or to run one.
type session struct {
	file  *testFile
	test  string
	out   *capture
	state *state
	abort atomic.Pointer[abortInfo]

	// Written by the task, read once it has ended:
	names      []string
	problems   []*problem
	skip       string
	line       int               // where the test function is defined
	funcs      map[string]string // "file:line" of setup, the test, teardown: their names
	abortTrace string            // the test's traceback when the abort stopped it
}

// discover runs the file once to list its tests, in definition order. A
// file whose chunk fails comes back as a result to report.
func (r *runner) discover(ctx context.Context, tf *testFile) ([]string, *result) {
	res, names := r.runSession(ctx, &session{file: tf})
	if res.status == failed {
		return nil, res
	}
	return names, nil
}

// runTest runs one test on a fresh host.
func (r *runner) runTest(ctx context.Context, tf *testFile, name string) *result {
	res, _ := r.runSession(ctx, &session{file: tf, test: name})
	return res
}

// runSession makes the host, runs the session's task on it until it ends,
// runs past the timeout or deadlocks, and shuts the host down. It returns
// the result and, for a discovery, the test names.
func (r *runner) runSession(ctx context.Context, s *session) (*result, []string) {
	s.out = &capture{}
	s.state = &state{file: s.file.path, out: s.out}
	res := &result{file: s.file.path, name: s.test}
	opts := host.Options{Stdout: s.out.Stdout(), Stderr: s.out.Stderr(), MaxAlloc: r.opts.MaxAlloc, OpenScript: r.openScript(s.file.dir)}
	if s.file.virtual {
		opts.Clock = sched.NewVirtualClock()
	}
	h, err := newHost(opts, s.state)
	if err != nil {
		res.status = failed
		res.problems = []*problem{{where: s.file.path, message: s.file.path + ": " + err.Error()}}
		return res, nil
	}
	defer h.Close()
	deadlock := make(chan struct{}, 1)
	if s.file.virtual {
		h.Sched().OnDeadlock(func() {
			select {
			case deadlock <- struct{}{}:
			default:
			}
		})
	}
	start := time.Now()
	t := h.Spawn(h.L.NewFunction(s.body), nil, host.SpawnOptions{Name: s.taskName(), Quiet: true})
	ended := r.wait(ctx, h, s, t, deadlock)
	res.elapsed = time.Since(start)
	res.output = s.out.All()
	s.finish(h, t, ended, res)
	if !ended {
		return res, nil // the task may still write s
	}
	return res, s.names
}

// openScript resolves run()'s names from the test file's folder first.
func (r *runner) openScript(dir string) func(name string) (string, []byte, error) {
	open := r.opts.OpenScript
	if open == nil {
		open = openFile
	}
	return func(name string) (string, []byte, error) { return open(dir, name) }
}

// openFile is the OpenScript of Options without one: the file name in
// dir, or name itself when absolute.
func openFile(dir, name string) (string, []byte, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	src, err := os.ReadFile(name)
	return name, src, err
}

// wait returns when the task ends, or stops it when it runs past the
// timeout, deadlocks or ctx ends; ended is false when it did not end
// within stopGrace of being stopped.
func (r *runner) wait(ctx context.Context, h *host.Host, s *session, t *host.Task, deadlock <-chan struct{}) (ended bool) {
	timer := time.NewTimer(r.opts.Timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return true
	case <-deadlock:
		s.abortDeadlock(h, t)
	case <-timer.C:
		s.stop(t, &abortInfo{reason: fmt.Sprintf("timed out after %v", r.opts.Timeout), tasks: describeTasks(h.Tasks(), false)})
	case <-ctx.Done():
		s.stop(t, &abortInfo{reason: "interrupted"})
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case <-t.Done():
		return true
	case <-grace.C:
		return false
	}
}

// abortDeadlock stops a test in which every task waits and no timer is
// left: with the interpreter taken (nothing can run anyway), it notes
// each task, what it waits on and where, then cancels the test.
func (s *session) abortDeadlock(h *host.Host, t *host.Task) {
	select {
	case <-t.Done():
		return // the test ended; the tasks it left are dealt with there
	default:
	}
	h.Lock()
	info := &abortInfo{
		reason: "deadlock: every task is waiting and no timer is set, so none can ever wake (virtual time)",
		tasks:  describeTasks(h.Tasks(), true),
	}
	s.stop(t, info)
	h.Unlock()
}

// stop records why the test is stopped, then cancels its task: the wait
// it is in (or its next Lua instruction) raises "cancelled".
func (s *session) stop(t *host.Task, info *abortInfo) {
	s.abort.Store(info)
	t.Cancel()
}

// finish fills res from the ended session.
func (s *session) finish(h *host.Host, t *host.Task, ended bool, res *result) {
	if a := s.abort.Load(); a != nil {
		res.problems = append(res.problems, s.abortProblem(a, ended))
	}
	if !ended {
		res.problems = append(res.problems, &problem{where: s.file.path, message: fmt.Sprintf("%s: the test did not stop within %v of being cancelled (a Go call that ignores cancellation?)", s.file.path, stopGrace)})
		res.status = failed
		return
	}
	res.where = s.defWhere()
	res.problems = append(res.problems, s.problems...)
	if _, err := t.Result(); err != nil && !t.Cancelled() && len(res.problems) == 0 {
		res.problems = append(res.problems, &problem{where: s.defWhere(), message: s.defWhere() + ": netplay test: " + host.FormatError(err)})
	}
	if s.test != "" && h.Failed() {
		res.problems = append(res.problems, &problem{where: s.defWhere(), message: s.defWhere() + ": a task failed with an uncaught error (its report is in the output)"})
	}
	switch {
	case len(res.problems) > 0:
		res.status = failed
	case s.skip != "":
		res.status, res.skip = skipped, s.skip
	}
}

// abortProblem reports a timeout or a deadlock, at the line the test was
// on when it was stopped (only the file when its task has not ended: the
// task may still be writing the session).
func (s *session) abortProblem(a *abortInfo, ended bool) *problem {
	where, trace := s.file.path, ""
	if ended {
		where, trace = s.defWhere(), s.abortTrace
		if w := frameIn(trace, s.file.path); w != "" {
			where = w
		}
	}
	msg := where + ": " + a.reason
	for _, line := range a.tasks {
		msg += "\n    " + line
	}
	return &problem{where: where, message: msg, trace: trace}
}

// defWhere is the line that defines the test (the file, before it is known).
func (s *session) defWhere() string {
	if s.line > 0 {
		return fmt.Sprintf("%s:%d", s.file.path, s.line)
	}
	return s.file.path
}

func (s *session) taskName() string {
	if s.test == "" {
		return "load " + s.file.path
	}
	return s.test
}

// describeTasks lists each task with what it waits on and, when the
// interpreter is held so their Lua stacks stand still, the line each is at.
func describeTasks(tasks []*host.Task, withLines bool) []string {
	out := make([]string, 0, len(tasks))
	for _, t := range tasks {
		line := fmt.Sprintf("%s: %s", t, t.Status())
		if withLines {
			if at := position(t.Thread()); at != "" {
				line += " at " + at
			}
		}
		out = append(out, line)
	}
	return out
}

// position is the file:line of the innermost Lua function on th's stack.
func position(th *lua.LState) string {
	if th == nil {
		return ""
	}
	for level := 0; ; level++ {
		w := th.Where(level)
		switch {
		case w == "":
			return ""
		case !strings.HasPrefix(w, "[G]"):
			return strings.TrimSuffix(w, ":")
		}
	}
}

// body is the session's task: the file's chunk, then (for a test) setup,
// the test, teardown and the cleanups; then the tasks left running are
// cancelled and, for a test, reported.
func (s *session) body(L *lua.LState) int {
	env, rec := newRecordingEnv(L)
	chunk := L.NewFunctionFromProto(s.file.proto)
	chunk.Env = env
	s.state.loading = true
	err := pcall(L, chunk)
	s.state.loading = false
	switch {
	case s.aborted(err):
	case err != nil:
		s.problems = append(s.problems, s.luaProblem(L, err))
	case s.test == "":
		s.names = rec.testNames(env)
	default:
		s.run(L, env)
		s.runCleanups(L)
	}
	s.cancelOthers(L, s.test != "" && err == nil)
	return 0
}

// run runs setup, the test and teardown. teardown runs when setup
// succeeded, whatever the test did.
func (s *session) run(L *lua.LState, env *lua.LTable) {
	test, ok := env.RawGetString(s.test).(*lua.LFunction)
	if !ok {
		s.problems = append(s.problems, &problem{where: s.file.path, message: fmt.Sprintf("%s: %s is not a function on this run of the file", s.file.path, s.test)})
		return
	}
	s.line = s.name(test, s.test)
	setup, _ := env.RawGetString("setup").(*lua.LFunction)
	teardown, _ := env.RawGetString("teardown").(*lua.LFunction)
	s.name(setup, "setup")
	s.name(teardown, "teardown")
	if setup != nil {
		if ok, stop := s.call(L, setup); !ok || stop {
			return
		}
	}
	if _, stop := s.call(L, test); stop {
		return
	}
	if teardown != nil {
		s.call(L, teardown)
	}
}

// name notes the name of a function of the file (setup, a test,
// teardown), for tracebacks, which otherwise show it as
// "function <file:line>"; it returns the line that defines it.
func (s *session) name(fn *lua.LFunction, name string) int {
	if fn == nil || fn.Proto == nil {
		return 0
	}
	if s.funcs == nil {
		s.funcs = map[string]string{}
	}
	s.funcs[fmt.Sprintf("%s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)] = name
	return fn.Proto.LineDefined
}

// traceback trims a Lua traceback to the test file and names the
// functions it knows.
func (s *session) traceback(trace string) string {
	trace = trimTrace(trace, s.file.path)
	trace = strings.ReplaceAll(trace, "in function <"+s.file.path+":0>", "in main chunk")
	for where, name := range s.funcs {
		trace = strings.ReplaceAll(trace, "in function <"+where+">", "in function '"+name+"'")
	}
	return trace
}

// runCleanups calls what testing.cleanup registered, the last first.
func (s *session) runCleanups(L *lua.LState) {
	for len(s.state.cleanups) > 0 && s.abort.Load() == nil {
		n := len(s.state.cleanups) - 1
		fn := s.state.cleanups[n]
		s.state.cleanups = s.state.cleanups[:n]
		s.call(L, fn)
	}
}

// call runs fn (setup, the test, teardown, a cleanup) and records how it
// ended: ok when it returned; stop when the runner stopped the test.
func (s *session) call(L *lua.LState, fn *lua.LFunction) (ok, stop bool) {
	err := pcall(L, fn)
	if s.aborted(err) {
		return false, true
	}
	if sk := s.state.skip; sk != "" && (err == nil || isSkip(err)) {
		s.skip = sk
		return false, false
	}
	if err != nil {
		s.problems = append(s.problems, s.luaProblem(L, err))
		return false, false
	}
	return true, false
}

// aborted reports whether the runner stopped the test, keeping the
// traceback of the error that stopped it.
func (s *session) aborted(err error) bool {
	if s.abort.Load() == nil {
		return false
	}
	var ae *lua.ApiError
	if s.abortTrace == "" && errors.As(err, &ae) {
		s.abortTrace = s.traceback(ae.StackTrace)
	}
	return true
}

// Settling before the leak check: rounds of letting the ready tasks run,
// and under real time the pause between rounds, for tasks that end once
// the kernel delivers what the test did last (a close, a reset).
const (
	settleRounds = 50
	settlePause  = 2 * time.Millisecond
)

// cancelOthers cancels every task but this one and waits until they have
// ended; when report is set, the test fails naming those that were still
// running when it ended, had not been cancelled and are not the host's
// own (a shaped socket's delivery).
func (s *session) cancelOthers(L *lua.LState, report bool) {
	h := host.Of(L)
	left := s.settle(L, h)
	if len(left) == 0 {
		return
	}
	if report && s.abort.Load() == nil {
		var leaked []*host.Task
		for _, t := range left {
			if t.Context().Err() == nil && !t.Daemon() {
				leaked = append(leaked, t)
			}
		}
		if len(leaked) > 0 {
			s.problems = append(s.problems, s.leakProblem(leaked))
		}
	}
	for _, t := range left {
		t.Cancel()
	}
	for _, t := range left {
		if s.abort.Load() != nil {
			return
		}
		if !t.Ended() {
			p := h.Parker()
			t.OnEnd(p)
			if h.ParkQuiet(L, "the tasks it left to end", p, time.Time{}) == sched.Cancelled {
				return
			}
		}
	}
}

// settle lets the other tasks run until none is ready (a task cancelled
// just before the test returned ends then) and returns those still
// alive. Under real time it also pauses a little, a few times, while
// some remain: a handler may be about to read the end of a connection
// the test closed. Under virtual time nothing outside can wake a task,
// and a pause would move the clock.
func (s *session) settle(L *lua.LState, h *host.Host) []*host.Task {
	for round := 0; ; round++ {
		for i := 0; i < settleRounds && h.Sched().ReadyCount() > 0 && s.abort.Load() == nil; i++ {
			h.Yield(L)
		}
		left := s.others(h)
		if len(left) == 0 || h.Virtual() || round == settleRounds || s.abort.Load() != nil {
			return left
		}
		h.Sleep(L, "tasks to end", settlePause)
	}
}

// others lists the live tasks but the running one.
func (s *session) others(h *host.Host) []*host.Task {
	self := h.Current()
	var left []*host.Task
	for _, t := range h.Tasks() {
		if t != self {
			left = append(left, t)
		}
	}
	return left
}

// leakProblem names the tasks a test left running.
func (s *session) leakProblem(left []*host.Task) *problem {
	where := s.defWhere()
	noun := "tasks"
	if len(left) == 1 {
		noun = "task"
	}
	msg := fmt.Sprintf("%s: %s left %d %s running (cancelled by the runner):", where, s.test, len(left), noun)
	for _, line := range describeTasks(left, true) {
		msg += "\n    " + line
	}
	return &problem{where: where, message: msg}
}

// luaProblem turns a Lua error into a problem: its message (given the
// file:line the traceback shows, when it has none) and its traceback
// trimmed to end in the test file.
func (s *session) luaProblem(L *lua.LState, err error) *problem {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return &problem{where: s.defWhere(), message: s.defWhere() + ": " + err.Error()}
	}
	msg := errorText(L, ae.Object)
	trace := s.traceback(ae.StackTrace)
	where := frameIn(trace, s.file.path)
	if where == "" {
		where = positionOf(msg)
	}
	if where == "" {
		where = s.defWhere()
	}
	if positionOf(msg) == "" {
		msg = where + ": " + msg
	}
	return &problem{where: where, message: msg, trace: trace}
}

// pcall calls fn with no arguments in a protected call; the error, if
// any, is a *lua.ApiError with the traceback from where it was raised.
func pcall(L *lua.LState, fn *lua.LFunction) error {
	L.Push(fn)
	return L.PCall(0, 0, nil)
}

// recorder keeps the order in which a chunk first assigns its globals.
type recorder struct {
	order []string
	seen  map[string]bool
}

// newRecordingEnv makes the environment a test file's chunk runs in: its
// globals land there (and in what its functions assign), reads fall back
// to the host's globals, _G is the environment itself, and every global
// is recorded as it is first assigned, which gives the tests their order.
func newRecordingEnv(L *lua.LState) (*lua.LTable, *recorder) {
	rec := &recorder{seen: map[string]bool{}}
	env := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.G.Global)
	mt.RawSetString("__newindex", L.NewFunction(rec.newindex))
	env.RawSetString("_G", env)
	L.SetMetatable(env, mt)
	return env, rec
}

// newindex is the environment's __newindex(t, k, v): record k, then set.
func (rec *recorder) newindex(L *lua.LState) int {
	t := L.CheckTable(1)
	k, v := L.Get(2), L.Get(3)
	if name, ok := k.(lua.LString); ok && !rec.seen[string(name)] {
		rec.seen[string(name)] = true
		rec.order = append(rec.order, string(name))
	}
	t.RawSet(k, v)
	return 0
}

// testNames lists the test_* functions of env: in the order they were
// first assigned, then (sorted) any that arrived by rawset.
func (rec *recorder) testNames(env *lua.LTable) []string {
	isTest := func(k string) bool {
		_, fn := env.RawGetString(k).(*lua.LFunction)
		return strings.HasPrefix(k, "test_") && fn
	}
	var names []string
	for _, k := range rec.order {
		if isTest(k) {
			names = append(names, k)
		}
	}
	var late []string
	env.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok && !rec.seen[string(s)] && isTest(string(s)) {
			late = append(late, string(s))
		}
	})
	sort.Strings(late)
	return append(names, late...)
}
