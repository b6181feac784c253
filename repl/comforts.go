package repl

// Small comforts Python users reach for: _ holds the last result; exit,
// quit and help typed bare say how to leave and where help is; exit()
// and quit() leave; help(value) prints the help on value.

import (
	"fmt"
	"io"

	lua "github.com/yuin/gopher-lua"
)

// helpHint is what bare help prints.
const helpHint = "(type :help for the REPL's commands, :help socket or help(value) for functions, :help tutorial to start)"

// comfortTypeName names the metatable of exit, quit and help.
const comfortTypeName = "netplay.repl.comfort"

// installComforts sets the globals exit, quit and help. Call with the
// interpreter held.
func (r *REPL) installComforts(L *lua.LState) {
	leave := L.NewFunction(r.callExit)
	r.setComfort(L, "exit", leaveHint, leave)
	r.setComfort(L, "quit", leaveHint, leave)
	r.setComfort(L, "help", helpHint, L.NewFunction(r.callHelp))
}

// setComfort sets global name to a value that prints as hint and does
// call when called.
func (r *REPL) setComfort(L *lua.LState, name, hint string, call *lua.LFunction) {
	ud := L.NewUserData()
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(hint))
		return 1
	}))
	mt.RawSetString("__call", call)
	mt.RawSetString("__name", lua.LString(comfortTypeName))
	ud.Metatable = mt
	L.SetGlobal(name, ud)
}

// callExit implements exit([code]) and quit([code]): os.exit([code]).
func (r *REPL) callExit(L *lua.LState) int {
	L.Remove(1) // the exit object itself
	return r.osExit(L)
}

// callHelp implements help([value]): the help on value, as :help prints
// it for a name; without one, the REPL's help.
func (r *REPL) callHelp(L *lua.LState) int {
	if L.GetTop() < 2 {
		io.WriteString(r.stdout, helpText)
		return 0
	}
	if text, ok := helpOnValue(L, L.Get(2)); ok {
		io.WriteString(r.stdout, text)
		return 0
	}
	fmt.Fprintf(r.stdout, "no help on %s: try :help, :help socket or help(socket.connect)\n", printer{}.value(L.Get(2)))
	return 0
}

// rememberResult sets _ to the first value an entry gave, as Python's
// REPL does (nil, and exit, quit and help typed bare, leave _ as it was).
func rememberResult(L *lua.LState, first lua.LValue) {
	if first == lua.LNil {
		return
	}
	if ud, ok := first.(*lua.LUserData); ok && L.GetMetaField(ud, "__name") == lua.LString(comfortTypeName) {
		return
	}
	L.SetGlobal("_", first)
}
