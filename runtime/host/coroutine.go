package host

// Coroutines belong to no task: a coroutine runs under whichever task
// resumes it, with that task's cancellation, so a generator made in one
// REPL entry (a task that has ended) still works in the next.

import (
	lua "github.com/yuin/gopher-lua"
)

// wrapCoroutines replaces coroutine.create, wrap, resume and running:
// threads are made from the main state (so they carry no task's context),
// every resume runs the thread under the resuming task's context, and
// running() is nil in a task's own thread, as it is in Lua's main thread.
func (h *Host) wrapCoroutines() {
	co, ok := h.L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	orig := func(name string) lua.LGFunction {
		return co.RawGetString(name).(*lua.LFunction).GFunction
	}
	create, wrap, resume, running := orig("create"), orig("wrap"), orig("resume"), orig("running")
	co.RawSetString("create", h.L.NewFunction(h.coCreate(create)))
	co.RawSetString("wrap", h.L.NewFunction(h.coWrap(wrap)))
	co.RawSetString("resume", h.L.NewFunction(h.coResume(resume)))
	co.RawSetString("running", h.L.NewFunction(h.coRunning(running)))
}

// onMainState calls fn(h.L) with args on the main state's stack and
// returns its one result: the main state has no context, so a thread
// made there belongs to no task. Called with the interpreter held.
func (h *Host) onMainState(fn lua.LGFunction, args ...lua.LValue) lua.LValue {
	M := h.L
	top := M.GetTop()
	for _, a := range args {
		M.Push(a)
	}
	base := M.GetTop()
	fn(M)
	res := M.Get(base + 1)
	M.SetTop(top)
	return res
}

// coCreate implements coroutine.create(fn) -> thread.
func (h *Host) coCreate(create lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		L.Push(h.onMainState(create, fn))
		return 1
	}
}

// coWrap implements coroutine.wrap(fn) -> function: the function resumes
// the thread under the task that calls it.
func (h *Host) coWrap(wrap lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		resumer := h.onMainState(wrap, fn).(*lua.LFunction)
		th, _ := resumer.Upvalues[0].Value().(*lua.LState)
		L.Push(L.NewClosure(func(L *lua.LState) int {
			h.adopt(th)
			L.Insert(L.Get(lua.UpvalueIndex(1)), 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}, resumer))
		return 1
	}
}

// coResume implements coroutine.resume(co, ...): co runs under the
// calling task.
func (h *Host) coResume(resume lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		h.adopt(L.CheckThread(1))
		return resume(L)
	}
}

// coRunning implements coroutine.running(): the running coroutine, or
// nil in a task's own thread.
func (h *Host) coRunning(running lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if t := h.current; t != nil && L.G.CurrentThread == t.thread {
			L.Push(lua.LNil)
			return 1
		}
		return running(L)
	}
}

// adopt sets th to run under the current task's context.
func (h *Host) adopt(th *lua.LState) {
	if th == nil {
		return
	}
	t := h.current
	if t == nil {
		return
	}
	if c, ok := th.Context().(*vmContext); ok && c.task == t {
		return
	}
	th.SetContext(t.vm.forThread(th))
}
