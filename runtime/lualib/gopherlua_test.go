package lualib_test

// Go-level tests of netplay's patched gopher-lua (third_party/gopher-lua,
// PATCHES.md), on plain states where no host is involved.

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// countingContext is a context whose Err, which the VM calls every 64
// instructions (patch 20), closes reached on its at-th call.
type countingContext struct {
	context.Context
	calls   atomic.Int64
	at      int64
	reached chan struct{}
}

func (c *countingContext) Err() error {
	if c.calls.Add(1) == c.at {
		close(c.reached)
	}
	return c.Context.Err()
}

// An endless tail-call loop stops promptly when its context is cancelled
// (PATCHES.md: tail calls). The VM saw the cancellation at once, but the
// traceback was built with one "(tailcall): ?" line for each of the
// millions of calls before it was cut to 14 lines: seconds, and tens of MB.
// Here the context is cancelled from another goroutine after the VM has
// looked at it 600,000 times (every 64 instructions: millions of tail
// calls); the error must come back with a
// short traceback, allocating next to nothing after the loop.
func TestTailCallLoopCancelsPromptly(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc := &countingContext{Context: ctx, at: 600_000, reached: make(chan struct{})}
	L.SetContext(cc)
	fn, err := L.LoadString("local function f() return f() end\nf()")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-cc.reached
		cancel()
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() {
		L.Push(fn)
		done <- L.PCall(0, 0, nil)
	}()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not stop within 20s")
	}
	runtime.ReadMemStats(&after)
	var ae *lua.ApiError
	if !errors.As(err, &ae) || ae.Object.String() != "<string>:1: context canceled" {
		t.Fatalf("err = %v; want <string>:1: context canceled", err)
	}
	if n := strings.Count(ae.StackTrace, "\n"); n > 20 {
		t.Errorf("the traceback has %d lines, want at most 20:\n%.2000s", n, ae.StackTrace)
	}
	if mb := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20); mb > 4 {
		t.Errorf("the loop and its error allocated %.1f MB, want at most 4", mb)
	}
}
