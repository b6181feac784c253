package lualib_test

// Go-level tests of netplay's patched gopher-lua (third_party/gopher-lua,
// PATCHES.md), on plain states where no host is involved.

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// doString runs code on L, failing the test on an error.
func doString(t testing.TB, L *lua.LState, code string) {
	t.Helper()
	if err := L.DoString(code); err != nil {
		t.Fatal(err)
	}
}

// LState.Resume, the Go API, hands a yield as many values as its caller
// takes, the missing ones nil (PATCHES.md: resume values).
func TestResumeGivesYieldItsValues(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	doString(t, L, `function body() local a, b = coroutine.yield("y") return a, b end`)
	fn := L.GetGlobal("body").(*lua.LFunction)
	th, _ := L.NewThread()
	st, err, got := L.Resume(th, fn)
	if st != lua.ResumeYield || err != nil || len(got) != 1 || got[0] != lua.LString("y") {
		t.Fatalf("first Resume = %v, %v, %v; want a yield of \"y\"", st, err, got)
	}
	st, err, got = L.Resume(th, fn, lua.LNumber(1))
	if st != lua.ResumeOK || err != nil {
		t.Fatalf("second Resume = %v, %v; want ResumeOK", st, err)
	}
	if len(got) != 2 || got[0] != lua.LNumber(1) || got[1] != lua.LNil {
		t.Fatalf("second Resume returned %#v; want [1 nil]", got)
	}
}
