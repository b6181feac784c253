package lualib

// The task module: concurrent tasks that take turns at the waits.
//
//	spawn(fn, ...) -> task          (also task.spawn) runs fn at once, until it first waits
//	yield()                         (also task.yield) let every ready task run, then go on
//	task.current() -> task
//	t:join([timeout]) -> fn's results | nil, err    (err: the error value, "cancelled", "timeout")
//	t:cancel([{children = true}])
//	t:id() -> number    t:name() -> string
//	t:status() -> "running" | "ready" | "waiting: ..." | "done" | "cancelled" | "failed: ..."

import (
	"fmt"
	"reflect"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/sched"
)

// TaskTypeName names the task userdata's metatable.
const TaskTypeName = "netplay.task"

var taskFuncs = map[string]lua.LGFunction{
	"spawn":   taskSpawn,
	"current": taskCurrent,
	"yield":   taskYield,
}

var taskMethods = map[string]lua.LGFunction{
	"join":   taskJoin,
	"cancel": taskCancel,
	"id":     taskID,
	"name":   taskName,
	"status": taskStatus,
}

// OpenTask is the loader of the task module.
func OpenTask(L *lua.LState) int {
	newType(L, TaskTypeName, taskMethods, map[string]lua.LGFunction{"__tostring": taskString})
	L.Push(L.SetFuncs(L.NewTable(), taskFuncs))
	return 1
}

// PushTask pushes t's Lua object, making it on first use.
func PushTask(L *lua.LState, t *host.Task) {
	if t.Object == nil {
		t.Object = newUserData(L, t, TaskTypeName)
	}
	L.Push(t.Object)
}

func checkTask(L *lua.LState, n int) *host.Task {
	return checkUserData[*host.Task](L, n, "task expected")
}

// taskSpawn implements spawn(fn, ...) -> task: fn(...) runs as a new task,
// at once, until it first waits; then the caller goes on. Sockets passed
// as arguments are handed to it.
func taskSpawn(L *lua.LState) int {
	fn := L.CheckFunction(1)
	args := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	name := argName(L, 1)
	label := name
	if fn.IsG || label == "" {
		label = funcName(fn, args)
	}
	t := host.Of(L).SpawnFrom(L, fn, args, host.SpawnOptions{Name: label, FuncName: name})
	PushTask(L, t)
	return 1
}

// funcName labels a task by its function: its name where it was defined
// (worker), else where it was defined, or for spawn(run, script, ...) the
// script.
func funcName(fn *lua.LFunction, args []lua.LValue) string {
	if fn.IsG {
		if reflect.ValueOf(fn.GFunction).Pointer() == reflect.ValueOf(scriptRun).Pointer() && len(args) > 0 {
			return "run " + args[0].String()
		}
		return "go function"
	}
	return fmt.Sprintf("function at %s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// argName is the name of the variable argument n was passed from
// (spawn(worker): "worker"), or "" when it was no variable or a field
// whose key is not a constant.
func argName(L *lua.LState, n int) string {
	if _, name := L.ArgName(n); name != "?" {
		return name
	}
	return ""
}

// taskCurrent implements task.current() -> the running task.
func taskCurrent(L *lua.LState) int {
	PushTask(L, host.Of(L).Current())
	return 1
}

// taskYield implements yield(): every task that is ready now runs first.
func taskYield(L *lua.LState) int {
	host.Of(L).Yield(L)
	return 0
}

// taskJoin implements t:join([timeout]) -> fn's results | nil, err: waits
// for t to end. err is the value t raised, "cancelled", or "timeout" when
// the timeout passed first (t goes on). A joined task's error is the
// joiner's to handle: it is not printed as uncaught.
func taskJoin(L *lua.LState) int {
	t := checkTask(L, 1)
	h := host.Of(L)
	if t == h.Current() {
		L.ArgError(1, "a task cannot join itself")
	}
	deadline := optDeadline(L, 2)
	if !t.Ended() {
		p := h.Parker()
		t.OnEnd(p)
		if h.Park(L, fmt.Sprintf("join task %d", t.ID()), p, deadline) == sched.TimedOut {
			t.DropOnEnd(p)
			L.Push(lua.LNil)
			L.Push(lua.LString("timeout"))
			return 2
		}
	}
	return pushResult(L, t)
}

// pushResult pushes what an ended task gave: its results, or nil and its
// error; the result counts as collected.
func pushResult(L *lua.LState, t *host.Task) int {
	t.Collect()
	results, err := t.Result()
	if err != nil {
		L.Push(lua.LNil)
		L.Push(host.ErrorValue(err))
		return 2
	}
	for _, v := range results {
		L.Push(v)
	}
	return len(results)
}

// taskCancel implements t:cancel([{children = true}]): t stops at its next
// wait or Lua instruction; the sockets it owns are closed, nothing else.
// With children, every task it spawned (and they spawned) stops too.
func taskCancel(L *lua.LState) int {
	t := checkTask(L, 1)
	if opts, ok := L.Get(2).(*lua.LTable); ok && lua.LVAsBool(opts.RawGetString("children")) {
		for _, c := range host.Of(L).Descendants(t) {
			c.Cancel()
		}
	} else if L.Get(2) != lua.LNil {
		L.CheckTable(2)
	}
	t.Cancel()
	return 0
}

// taskID implements t:id() -> number.
func taskID(L *lua.LState) int {
	L.Push(lua.LNumber(checkTask(L, 1).ID()))
	return 1
}

// taskName implements t:name() -> string: what :tasks shows.
func taskName(L *lua.LState) int {
	L.Push(lua.LString(checkTask(L, 1).Name()))
	return 1
}

// taskStatus implements t:status() -> "running" | "ready" | "waiting: what"
// | "done" | "cancelled" | "failed: message".
func taskStatus(L *lua.LState) int {
	L.Push(lua.LString(checkTask(L, 1).Status()))
	return 1
}

func taskString(L *lua.LState) int {
	t := checkTask(L, 1)
	L.Push(lua.LString(fmt.Sprintf("<task %d %s>", t.ID(), t.Status())))
	return 1
}
