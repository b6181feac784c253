package lualib

// The task module: concurrent tasks.
//
//	spawn(fn, ...) -> task          (also task.spawn)
//	task.current() -> task
//	t:join() -> fn's results | nil, err
//	t:cancel()
//	t:id() -> number    t:status() -> "running" | "waiting: ..." | "done"

import (
	"context"
	"fmt"
	"reflect"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// TaskTypeName names the task userdata's metatable.
const TaskTypeName = "netplay.task"

var taskFuncs = map[string]lua.LGFunction{
	"spawn":   taskSpawn,
	"current": taskCurrent,
}

var taskMethods = map[string]lua.LGFunction{
	"join":   taskJoin,
	"cancel": taskCancel,
	"id":     taskID,
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

// taskSpawn implements spawn(fn, ...) -> task: fn(...) runs as a new task.
// Sockets passed as arguments are handed to it.
func taskSpawn(L *lua.LState) int {
	fn := L.CheckFunction(1)
	args := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	t := host.Of(L).Spawn(fn, args, host.SpawnOptions{Name: funcName(fn, args)})
	PushTask(L, t)
	return 1
}

// funcName labels a task by where its function was defined, or for
// spawn(run, script, ...) by the script.
func funcName(fn *lua.LFunction, args []lua.LValue) string {
	if fn.IsG {
		if reflect.ValueOf(fn.GFunction).Pointer() == reflect.ValueOf(scriptRun).Pointer() && len(args) > 0 {
			return "run " + args[0].String()
		}
		return "go function"
	}
	return fmt.Sprintf("function at %s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// taskCurrent implements task.current() -> the running task.
func taskCurrent(L *lua.LState) int {
	PushTask(L, host.Of(L).Current())
	return 1
}

// taskJoin implements t:join() -> fn's results | nil, err: waits for t to
// end. err is the value t raised, or "cancelled".
func taskJoin(L *lua.LState) int {
	t := checkTask(L, 1)
	h := host.Of(L)
	if t == h.Current() {
		L.ArgError(1, "a task cannot join itself")
	}
	var results []lua.LValue
	var err error
	h.Block(L, fmt.Sprintf("join task %d", t.ID()), func(ctx context.Context) { results, err = t.Join(ctx) })
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

// taskCancel implements t:cancel(): t stops at its next blocking call or
// Lua instruction; sockets it owns are closed, nothing else.
func taskCancel(L *lua.LState) int {
	checkTask(L, 1).Cancel()
	return 0
}

// taskID implements t:id() -> number.
func taskID(L *lua.LState) int {
	L.Push(lua.LNumber(checkTask(L, 1).ID()))
	return 1
}

// taskStatus implements t:status() -> "running" | "waiting: what" | "done".
func taskStatus(L *lua.LState) int {
	L.Push(lua.LString(checkTask(L, 1).State()))
	return 1
}

func taskString(L *lua.LState) int {
	t := checkTask(L, 1)
	L.Push(lua.LString(fmt.Sprintf("<task %d %s>", t.ID(), t.State())))
	return 1
}
