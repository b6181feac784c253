package testrunner

// The expect module: checks that fail a test with a message that says
// what differs, at the file:line of the check. Also a global in test files.
//
//	expect.eq(got, want[, msg])       deep equality, with a diff
//	expect.ne(got, other[, msg])      not deeply equal
//	expect.near(got, want, tol[, msg])  |got - want| <= tol
//	expect.error(fn, pattern[, msg]) -> message   fn() raises an error matching pattern
//	expect.truthy(v[, msg]) -> v      neither nil nor false

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/pm"

	"netplay/runtime/host"
)

var expectFuncs = map[string]lua.LGFunction{
	"eq":     expectEq,
	"ne":     expectNe,
	"near":   expectNear,
	"error":  expectError,
	"truthy": expectTruthy,
}

// OpenExpect is the loader of the expect module.
func OpenExpect(L *lua.LState) int {
	L.Push(L.SetFuncs(L.NewTable(), expectFuncs))
	return 1
}

// fail raises the failure of check name: "file:line: name: text", or
// "file:line: msg: text" when the caller gave a message (argument n).
func fail(L *lua.LState, name string, n int, text string) {
	label := "expect." + name
	if msg, ok := L.Get(n).(lua.LString); ok {
		label = string(msg)
	}
	L.RaiseError("%s: %s", label, text)
}

// expectEq implements expect.eq(got, want[, msg]): deep equality. A
// failure names the first difference: for strings the offset of the
// first differing byte and both sides around it (escaped, or in hex when
// binary), for tables the index path to it.
func expectEq(L *lua.LState) int {
	got, want := L.CheckAny(1), L.CheckAny(2)
	if d := firstDifference(L, got, want); d != nil {
		fail(L, "eq", 3, eqMessage(d))
	}
	return 0
}

// expectNe implements expect.ne(got, other[, msg]): got and other are
// not deeply equal.
func expectNe(L *lua.LState) int {
	got, other := L.CheckAny(1), L.CheckAny(2)
	if firstDifference(L, got, other) == nil {
		fail(L, "ne", 3, fmt.Sprintf("got %s, want anything else", render(got)))
	}
	return 0
}

// expectNear implements expect.near(got, want, tol[, msg]): the numbers
// differ by tol at most.
func expectNear(L *lua.LState) int {
	got, want, tol := float64(L.CheckNumber(1)), float64(L.CheckNumber(2)), float64(L.CheckNumber(3))
	if tol < 0 || math.IsNaN(tol) {
		L.ArgError(3, "tolerance must be >= 0")
	}
	if off := math.Abs(got - want); !(off <= tol) {
		fail(L, "near", 4, fmt.Sprintf("got %s, want %s ± %s (off by %s)",
			host.FormatNumber(got), host.FormatNumber(want), host.FormatNumber(tol), host.FormatNumber(off)))
	}
	return 0
}

// expectError implements expect.error(fn, pattern[, msg]) -> message:
// fn() must raise an error whose message (tostring of the value) matches
// the Lua pattern (nil: any error). It returns the message.
func expectError(L *lua.LState) int {
	fn := L.CheckFunction(1)
	pattern, hasPattern := "", L.Get(2) != lua.LNil
	if hasPattern {
		pattern = L.CheckString(2)
	}
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	host.Of(L).RaiseIfCancelled(L)
	if err == nil {
		want := "an error"
		if hasPattern {
			want = "an error matching " + quote(pattern)
		}
		fail(L, "error", 3, "no error, want "+want)
	}
	msg := errorText(L, lua.LNil)
	if ae, ok := err.(*lua.ApiError); ok {
		msg = errorText(L, ae.Object)
	}
	if hasPattern && !matches(L, pattern, msg) {
		fail(L, "error", 3, fmt.Sprintf("error %s does not match %s", quote(msg), quote(pattern)))
	}
	L.Push(lua.LString(msg))
	return 1
}

// matches reports whether the Lua pattern matches s (string.find's rule);
// a malformed pattern raises, naming argument 2.
func matches(L *lua.LState, pattern, s string) bool {
	found, err := pm.Find(pattern, []byte(s), 0, 1)
	if err != nil {
		L.ArgError(2, "malformed pattern: "+strings.TrimSpace(err.Error()))
	}
	return len(found) > 0
}

// expectTruthy implements expect.truthy(v[, msg]) -> v: v is neither nil
// nor false.
func expectTruthy(L *lua.LState) int {
	v := L.Get(1)
	if !lua.LVAsBool(v) {
		fail(L, "truthy", 2, "got "+render(v))
	}
	L.Push(v)
	return 1
}
