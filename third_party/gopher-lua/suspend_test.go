package lua

import (
	"strings"
	"testing"
)

// netplay patch 21: a Go function suspends, the Lua frames leave the Go
// stack, and PContinue calls the function again and goes on.

// suspendState has get(): suspends the first `times` calls made where it
// may, then returns how many calls were made; can() reports CanSuspend.
func suspendState(times int) (*LState, *int) {
	L := NewState()
	calls := 0
	L.SetGlobal("get", L.NewFunction(func(L *LState) int {
		calls++
		if calls <= times && L.CanSuspend() {
			return L.Suspend()
		}
		L.Push(LNumber(calls))
		L.Push(L.Get(1)) // the argument survives the suspension
		return 2
	}))
	L.SetGlobal("can", L.NewFunction(func(L *LState) int {
		L.Push(LBool(L.CanSuspend()))
		return 1
	}))
	return L, &calls
}

func runSuspendable(t *testing.T, L *LState, src string) (suspensions int, err error) {
	t.Helper()
	fn, err := L.LoadString(src)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	suspended, err := L.PCallSuspendable(0, MultRet)
	for suspended {
		suspensions++
		suspended, err = L.PContinue()
	}
	return suspensions, err
}

func TestSuspendAndContinue(t *testing.T) {
	L, calls := suspendState(3)
	defer L.Close()
	n, err := runSuspendable(t, L, `
		local a, b = get("x")
		local c = get("y")
		result = a .. b .. "," .. c .. "," .. tostring(select("#", get("z")))
		return "done", 2
	`)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || *calls != 6 {
		t.Fatalf("suspensions %d, calls %d; want 3 and 6", n, *calls)
	}
	if got := L.GetGlobal("result").String(); got != "4x,5,2" {
		t.Fatalf("result = %q", got)
	}
	if L.GetTop() != 2 || L.Get(1).String() != "done" || L.Get(2).String() != "2" {
		t.Fatalf("returned %d values: %v %v", L.GetTop(), L.Get(1), L.Get(2))
	}
}

func TestSuspendOnlyFromTheCallsOwnLuaCode(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"direct call", `local v = can(); return v`, "true"},
		{"return of a call (a tail call)", `return can()`, "false"},
		{"inside pcall", `return select(2, pcall(can))`, "false"},
		{"in a function pcall calls", `return select(2, pcall(function() return (can()) end))`, "false"},
		{"tail call", `local function f() return can() end; return (f())`, "false"},
		{"metamethod", `return setmetatable({}, {__index = function() return (can()) end}).x`, "false"},
		{"generic for iterator", `for v in can do return v end`, "false"},
		{"coroutine", `return select(2, coroutine.resume(coroutine.create(function() return (can()) end)))`, "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L, _ := suspendState(0)
			defer L.Close()
			if _, err := runSuspendable(t, L, tc.src); err != nil {
				t.Fatal(err)
			}
			if got := L.Get(1).String(); got != tc.want {
				t.Fatalf("CanSuspend = %s, want %s", got, tc.want)
			}
		})
	}
	L, _ := suspendState(0)
	defer L.Close()
	L.Push(L.GetGlobal("can"))
	if err := L.PCall(0, 1, nil); err != nil || L.Get(-1) != LFalse {
		t.Fatalf("under plain PCall: %v %v", L.Get(-1), err)
	}
}

func TestErrorAfterContinueIsCaughtWithItsTraceback(t *testing.T) {
	L, _ := suspendState(1)
	defer L.Close()
	n, err := runSuspendable(t, L, `
		local v = get()
		local function boom() error("after " .. v) end
		boom()
	`)
	if n != 1 || err == nil {
		t.Fatalf("suspensions %d, err %v", n, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "after 2") || !strings.Contains(msg, "in function 'boom'") {
		t.Fatalf("error = %q", msg)
	}
	if L.GetTop() != 0 || L.stack.Sp() != 0 {
		t.Fatalf("left top %d, frames %d", L.GetTop(), L.stack.Sp())
	}
	// The state runs further calls as before.
	if err := L.DoString(`x = (get())`); err != nil || L.GetGlobal("x").String() != "3" {
		t.Fatalf("after: %v %v", L.GetGlobal("x"), err)
	}
	if _, err := L.PContinue(); err == nil {
		t.Fatal("PContinue with nothing suspended: no error")
	}
}

// netplay patch 22: a Go function at a call-stack segment's last frame
// whose PCall fails before calling (not a function) leaves the stack as it
// was (it used to set the depth to 0, and the next return crashed); and a
// call loop at a segment's edge runs.
func TestPCallFailingAtASegmentsEnd(t *testing.T) {
	L := NewState(Options{CallStackSize: 200, MinimizeStackMemory: true})
	defer L.Close()
	L.SetGlobal("pcall_number", L.NewFunction(func(L *LState) int {
		L.Push(LNumber(5))
		err := L.PCall(0, 0, nil)
		L.Push(LBool(err != nil))
		return 1
	}))
	err := L.DoString(`
		local function at(depth)
			if depth == 0 then local failed = pcall_number(); return failed end
			local r = at(depth - 1)
			return r
		end
		for d = 0, 3 * ` + "8" + ` do assert(at(d) == true, d) end
		local function g() return 1 end
		local function f() local x = g(); return x end
		local function loop(n) local s = 0; for i = 1, n do s = s + f() end; return s end
		for d = 0, 8 do
			local function deep(k) if k == 0 then local s = loop(10); return s end local r = deep(k - 1); return r end
			assert(deep(d) == 10)
		end
		result = "ok"
	`)
	if err != nil || L.GetGlobal("result").String() != "ok" {
		t.Fatalf("err %v", err)
	}
}
