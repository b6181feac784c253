package lua

import (
	"fmt"
	"testing"
)

// TestRegistersAboveTheTopAreCleared (netplay patch 23): the registers a
// lowered top or a call's return leaves above the top hold nil, so the
// values they held can be collected, whether a few are cleared one by one
// or many at once.
func TestRegistersAboveTheTopAreCleared(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8, 9, 20} {
		t.Run(fmt.Sprintf("SetTop/%d", n), func(t *testing.T) {
			L := NewState()
			defer L.Close()
			for i := 0; i < n+1; i++ {
				L.Push(LString(fmt.Sprint("v", i)))
			}
			top := L.reg.Top()
			L.SetTop(1)
			checkClearedAbove(t, L, top)
		})
		t.Run(fmt.Sprintf("return/%d", n), func(t *testing.T) {
			L := NewState()
			defer L.Close()
			var before int
			L.SetGlobal("many", L.NewFunction(func(L *LState) int {
				for i := 0; i < n+1; i++ {
					L.Push(LString(fmt.Sprint("v", i)))
				}
				before = L.reg.Top()
				return 1
			}))
			L.SetGlobal("check", L.NewFunction(func(L *LState) int {
				checkClearedAbove(t, L, before)
				return 0
			}))
			if err := L.DoString(`local x = many(); check(); return x`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkClearedAbove fails unless every register from L's top to old is nil.
func checkClearedAbove(t *testing.T, L *LState, old int) {
	t.Helper()
	for i := L.reg.Top(); i < old; i++ {
		if v := L.reg.array[i]; v != nil {
			t.Fatalf("register %d (top %d, was %d) holds %v, want nil", i, L.reg.Top(), old, v)
		}
	}
}

// TestCallFramesAreWrittenWhole (netplay patch 24): a frame pushed into a
// slot an earlier frame used keeps nothing of it.
func TestCallFramesAreWrittenWhole(t *testing.T) {
	for _, opts := range []Options{{}, {CallStackSize: 20000, MinimizeStackMemory: true}} {
		L := NewState(opts)
		junk := callFrame{Fn: L.NewFunction(func(*LState) int { return 0 }), Pc: 99, Base: 77, LocalBase: 78, ReturnBase: 76, NArgs: 55, NRet: 44, TailCall: 3, Parent: &callFrame{}}
		for i := 0; i < 3; i++ {
			L.stack.Push(junk)
		}
		for i := 0; i < 3; i++ {
			L.stack.Pop()
		}
		var got, parent callFrame
		L.SetGlobal("f", L.NewFunction(func(L *LState) int {
			got, parent = *L.currentFrame, *L.currentFrame.Parent
			return 1
		}))
		if err := L.DoString(`local x = f(1, 2)`); err != nil {
			t.Fatal(err)
		}
		want := callFrame{Idx: 1, Fn: got.Fn, Parent: got.Parent, Pc: 0, Base: got.Base, LocalBase: got.Base + 1, ReturnBase: got.Base, NArgs: 2, NRet: 1, TailCall: 0}
		if got != want || got.Fn == junk.Fn || parent.TailCall != 0 || parent.Idx != 0 || parent.Parent != nil {
			t.Errorf("MinimizeStackMemory %v: frame %+v (parent %+v), want %+v", opts.MinimizeStackMemory, got, parent, want)
		}
		L.Close()
	}
}

// BenchmarkGoCallFromLua: two calls of a Go function from a Lua loop, as
// a server's f:recv() and f:send(msg) (patches 23 and 24), with the call
// stack netplay uses (segments grown on demand).
func BenchmarkGoCallFromLua(b *testing.B) {
	L := NewState(Options{CallStackSize: 20000, MinimizeStackMemory: true})
	defer L.Close()
	L.SetGlobal("f", L.NewFunction(func(L *LState) int { L.Push(L.Get(1)); return 1 }))
	if err := L.DoString(`function loop(n) local f, s = f, "x" for i = 1, n do local m = f(s); f(m) end end`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := L.CallByParam(P{Fn: L.GetGlobal("loop"), NRet: 0, Protect: true}, LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}
