package repl

import (
	"errors"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestCompileEntry(t *testing.T) {
	cases := []struct {
		src  string
		want string // "expr", "stmt", "more" or the error
	}{
		{"1 + 1", "expr"},
		{"=1 + 1", "expr"},
		{"f()", "expr"},
		{"x = 1", "stmt"},
		{"local x = 1", "stmt"},
		{"print(1) print(2)", "stmt"},
		{"function f()", "more"},
		{"function f()\n  return 1", "more"},
		{"function f()\n  return 1\nend", "stmt"},
		{"x = ", "more"},
		{"{", "more"},
		{"1 +", "more"},
		{"f(", "more"},
		{"s = [[long", "more"},
		{"--[[ open comment", "more"},
		{"s = 'short", "stdin:1: unfinished string near <eof>"},
		{"s = 'short\nx = 1", "stdin:1: unfinished string near ''short'"},
		{"x = )", "stdin:1: syntax error near ')'"},
		{"1 = 2", "stdin:1: syntax error near '='"},
		{"if x then\nelse else end", "stdin:2: syntax error near 'else'"},
	}
	L := lua.NewState()
	defer L.Close()
	for _, c := range cases {
		fn, err := compileEntry(L, c.src)
		got := "stmt"
		switch {
		case errors.Is(err, errIncomplete):
			got = "more"
		case err != nil:
			got = syntaxMessage(err)
		case returnsValues(fn):
			got = "expr"
		}
		if got != c.want {
			t.Errorf("compileEntry(%q): %s, want %s", c.src, got, c.want)
		}
	}
}

// returnsValues runs an entry in a scratch state (where f() returns a
// value): expressions give their values, statements nothing.
func returnsValues(fn *lua.LFunction) bool {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("f", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LTrue); return 1 }))
	L.SetGlobal("print", L.NewFunction(func(*lua.LState) int { return 0 }))
	L.Push(L.NewFunctionFromProto(fn.Proto))
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		return false
	}
	return L.GetTop() > 0
}

// Top-level locals are kept as globals for the next entry; locals in
// blocks and functions stay local.
func TestTopLevelLocalsAreKept(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, src := range []string{
		"local a, b = 1, 2",
		"local c",
		"local function sq(n) return n * n end",
		"local d = sq(3) do local hidden = 1 end",
		"function f() local inner = 1 return inner end",
	} {
		fn, err := compileEntry(L, src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		L.Push(fn)
		if err := L.PCall(0, 0, nil); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
	}
	want := map[string]string{"a": "1", "b": "2", "c": "nil", "d": "9", "hidden": "nil", "inner": "nil"}
	for name, v := range want {
		if got := L.GetGlobal(name).String(); got != v {
			t.Errorf("global %s = %s, want %s", name, got, v)
		}
	}
	if L.GetGlobal("sq").Type() != lua.LTFunction {
		t.Errorf("local function sq was not kept")
	}
}
