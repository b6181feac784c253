package host

// The host's versions of Lua's output and tostring functions:
//
//	print(...)        to the host's Stdout, one write a call
//	io.write(...)     to the host's Stdout while io.output() is the
//	                  default stdout; after io.output(file), to that file
//	tostring(v)       numbers as a person writes them (FormatNumber)
//
// They keep Lua 5.1's rules otherwise: a __tostring metamethod's result is
// what tostring returns, whatever it is, and print refuses one that is not
// a string.

import (
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// installStdlib points print and io.write at the host's Stdout, and has
// print and tostring write numbers as a person would. (coroutine.running
// is in coroutine.go, with the rest of the coroutine functions.)
func (h *Host) installStdlib() {
	L := h.L
	L.SetGlobal("print", L.NewFunction(hostPrint))
	L.SetGlobal("tostring", L.NewFunction(hostTostring))
	if iolib, ok := L.GetGlobal("io").(*lua.LTable); ok {
		write, output, stdout := iolib.RawGetString("write"), iolib.RawGetString("output"), iolib.RawGetString("stdout")
		iolib.RawSetString("write", L.NewClosure(hostWrite, write, output, stdout))
	}
}

// hostPrint implements print(...): like Lua's, but to the host's Stdout in
// one write, so output of concurrent tasks never interleaves within a line.
func hostPrint(L *lua.LState) int {
	var b strings.Builder
	top := L.GetTop()
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		switch s := tostring(L, L.Get(i)).(type) {
		case lua.LString:
			b.WriteString(string(s))
		case lua.LNumber:
			b.WriteString(FormatNumber(float64(s)))
		default:
			L.RaiseError("'tostring' must return a string to 'print'")
		}
	}
	b.WriteByte('\n')
	io.WriteString(Of(L).opts.Stdout, b.String())
	return 0
}

// hostWrite implements io.write(...) -> io. While io.output() is the
// standard output it writes to the host's Stdout (numbers by
// FormatNumber); after io.output(file) it is Lua's io.write, to that file.
// Its upvalues are Lua's io.write, io.output and io.stdout.
func hostWrite(L *lua.LState) int {
	if !writesToStdout(L) {
		L.Insert(L.Get(lua.UpvalueIndex(1)), 1)
		L.Call(L.GetTop()-1, lua.MultRet)
		return L.GetTop()
	}
	var b strings.Builder
	top := L.GetTop()
	for i := 1; i <= top; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(FormatNumber(float64(v)))
		default:
			L.ArgError(i, "string expected, got "+v.Type().String())
		}
	}
	io.WriteString(Of(L).opts.Stdout, b.String())
	L.Push(L.GetGlobal("io"))
	return 1
}

// writesToStdout reports whether io.output() is still the io.stdout the
// state started with (hostWrite's upvalues 2 and 3).
func writesToStdout(L *lua.LState) bool {
	L.Push(L.Get(lua.UpvalueIndex(2)))
	L.Call(0, 1)
	out := L.Get(-1)
	L.Pop(1)
	return out == L.Get(lua.UpvalueIndex(3))
}

// tostring is Lua 5.1's tostring(v): the result of v's __tostring
// metamethod, whatever it is, or v as a string, numbers by FormatNumber.
func tostring(L *lua.LState, v lua.LValue) lua.LValue {
	if mm := L.GetMetaField(v, "__tostring"); mm != lua.LNil {
		L.Push(mm)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		return r
	}
	if n, ok := v.(lua.LNumber); ok {
		return lua.LString(FormatNumber(float64(n)))
	}
	return lua.LString(v.String())
}

// ToString is tostring(v) as a Go string, numbers by FormatNumber (a
// __tostring metamethod that returns no string gives that value's string).
func ToString(L *lua.LState, v lua.LValue) string {
	switch s := tostring(L, v).(type) {
	case lua.LString:
		return string(s)
	case lua.LNumber:
		return FormatNumber(float64(s))
	default:
		return s.String()
	}
}

// hostTostring implements tostring(v), numbers by FormatNumber.
func hostTostring(L *lua.LState) int {
	L.CheckAny(1)
	L.Push(tostring(L, L.Get(1)))
	return 1
}
