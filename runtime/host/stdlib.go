package host

// Lua's standard output functions, pointed at the host's writers.

import (
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// hostPrint implements print(...): like Lua's, but to the host's Stdout in
// one write, so output of concurrent tasks never interleaves within a line.
func hostPrint(L *lua.LState) int {
	var b strings.Builder
	top := L.GetTop()
	for i := 1; i <= top; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(ToString(L, L.Get(i)))
	}
	b.WriteByte('\n')
	io.WriteString(Of(L).opts.Stdout, b.String())
	return 0
}

// hostWrite implements io.write(...) to the host's Stdout.
func hostWrite(L *lua.LState) int {
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

// redirectOutput points print and io.write at the host's Stdout, and has
// print and tostring write numbers as a person would.
func (h *Host) redirectOutput() {
	h.L.SetGlobal("print", h.L.NewFunction(hostPrint))
	h.L.SetGlobal("tostring", h.L.NewFunction(hostTostring))
	if io, ok := h.L.GetGlobal("io").(*lua.LTable); ok {
		io.RawSetString("write", h.L.NewFunction(hostWrite))
	}
}
