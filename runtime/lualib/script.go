package lualib

// The script module: run another script (a file or a bundled one) in the
// calling task.
//
//	run(name, ...) -> the script's results    (also script.run)
//	script.load(name) -> function              (a chunk, not run)

import (
	"bytes"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

var scriptFuncs = map[string]lua.LGFunction{
	"run":  scriptRun,
	"load": scriptLoad,
}

// OpenScript is the loader of the script module.
func OpenScript(L *lua.LState) int {
	L.Push(L.SetFuncs(L.NewTable(), scriptFuncs))
	return 1
}

// LoadScript compiles the named script (a real file wins over a bundled one
// of the same name).
func LoadScript(L *lua.LState, name string) (*lua.LFunction, error) {
	open := host.Of(L).Options().OpenScript
	if open == nil {
		return L.LoadFile(name)
	}
	chunk, src, err := open(name)
	if err != nil {
		return nil, err
	}
	return L.Load(bytes.NewReader(src), chunk)
}

// scriptLoad implements script.load(name) -> function | nil, err.
func scriptLoad(L *lua.LState) int {
	fn, err := LoadScript(L, L.CheckString(1))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(fn)
	return 1
}

// scriptRun implements run(name, ...) -> results: the script runs in the
// calling task with its own arg table (arg[0] = name) and its own globals,
// which fall back to the shared ones; its errors propagate.
func scriptRun(L *lua.LState) int {
	name := L.CheckString(1)
	fn, err := LoadScript(L, name)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	nargs := L.GetTop() - 1
	argt := L.NewTable()
	argt.RawSetInt(0, lua.LString(name))
	for i := 2; i <= L.GetTop(); i++ {
		argt.RawSetInt(i-1, L.Get(i))
	}
	env := L.NewTable()
	env.RawSetString("arg", argt)
	mt := L.NewTable()
	mt.RawSetString("__index", L.Get(lua.GlobalsIndex))
	L.SetMetatable(env, mt)
	fn.Env = env
	base := L.GetTop() - nargs
	L.Insert(fn, base+1)
	L.Call(nargs, lua.MultRet)
	return L.GetTop() - base
}

// SetArg sets the global arg table as lua does (arg[0] the script,
// arg[1..] its arguments) and returns the arguments as Lua values, to pass
// to the script's chunk as its "...". Call with the interpreter lock held
// when tasks may be running.
func SetArg(L *lua.LState, script string, args []string) []lua.LValue {
	t := L.NewTable()
	t.RawSetInt(0, lua.LString(script))
	values := make([]lua.LValue, len(args))
	for i, a := range args {
		values[i] = lua.LString(a)
		t.RawSetInt(i+1, values[i])
	}
	L.SetGlobal("arg", t)
	return values
}
