package lua

// netplay patch 21: suspending a Go function until its caller's goroutine
// has unwound the Lua frames off its Go stack.
//
// A task of netplay is a goroutine running a Lua function. When it waits
// (an idle connection's recv), the goroutine is parked with the whole
// interpreter on its stack: the PCall, the VM loop, the call of the Go
// function and the function's own frames, some 3.5 KiB. Go then keeps its
// 8 KiB stack, and shrinks a stack only when a quarter of it is used.
//
// With PCallSuspendable, a Go function called directly by the Lua code of
// that call (CanSuspend) may return Suspend(): the VM loop, the call and
// PCallSuspendable return at once, leaving the Lua frames, and the Go
// function's own frame with its arguments, in the state. The caller waits
// for what the function needs, at the bottom of its goroutine's stack,
// then PContinue calls the function again with the same arguments (it
// must be safe to call again: it consumed nothing) and goes on with the
// Lua code, until the call ends or suspends again.

// suspendRet is what a suspending Go function returns.
const suspendRet = -1000

// suspension is the state of PCallSuspendable's call.
type suspension struct {
	on        bool // a suspendable call is under way
	suspended bool // a Go function suspended: PContinue goes on
	nest      int  // VM loops of this state on the Go stack
	sp        int  // call stack and registers before the call
	base      int
	nret      int
}

// Suspend is returned by a Go function that suspends (only when
// CanSuspend): `return L.Suspend()`.
func (ls *LState) Suspend() int { return suspendRet }

// CanSuspend reports whether the running Go function may return Suspend:
// it runs in a PCallSuspendable call, called by Lua code of the call's own
// VM loop (not from a Go function, a metamethod, an iterator of a generic
// for or a tail call).
func (ls *LState) CanSuspend() bool {
	cf := ls.currentFrame
	return ls.sus.on && ls.sus.nest == 1 && cf != nil && cf.Fn.IsG &&
		cf.ReturnBase == cf.Base && cf.Parent != nil && !cf.Parent.Fn.IsG
}

// PCallSuspendable is PCall (without an error function) whose Go functions
// may suspend: suspended is true when one did, and PContinue goes on.
func (ls *LState) PCallSuspendable(nargs, nret int) (suspended bool, err error) {
	ls.sus = suspension{on: true, sp: ls.stack.Sp(), base: ls.reg.Top() - nargs - 1, nret: nret}
	err = ls.PCall(nargs, nret, nil)
	return ls.endOrSuspend(err)
}

// PContinue calls the suspended Go function again and goes on with the
// call PCallSuspendable began, until it ends or suspends again.
func (ls *LState) PContinue() (suspended bool, err error) {
	if !ls.sus.suspended {
		return false, newApiErrorS(ApiErrorRun, "no suspended call to continue")
	}
	ls.sus.suspended = false
	base := ls.stack.At(ls.sus.sp) // the frame of the called function
	err = ls.protect(ls.sus.sp, ls.sus.base, nil, func() {
		ls.currentFrame = ls.stack.Last()
		ls.sus.nest++
		if callGFunction(ls, false) { // suspended again
			ls.sus.nest--
			return
		}
		ls.mainLoop(ls, base)
		ls.sus.nest--
		if ls.sus.suspended {
			return
		}
		if ls.sus.nret != MultRet {
			ls.reg.SetTop(ls.sus.base + ls.sus.nret)
		}
	})
	return ls.endOrSuspend(err)
}

// endOrSuspend reports how a suspendable call's stretch ended.
func (ls *LState) endOrSuspend(err error) (bool, error) {
	if err == nil && ls.sus.suspended {
		return true, nil
	}
	ls.sus = suspension{}
	return false, err
}
