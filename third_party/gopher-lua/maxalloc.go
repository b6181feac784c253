package lua

// netplay patch: a bound on what one operation may allocate for a script.
// string.rep("x", 2^40) asked Go for a terabyte and the process died with
// "fatal error: runtime: out of memory", which no recover catches. Every
// library function and operator that builds a result whose size a script
// chooses checks it first against Options.MaxAlloc and raises a catchable
// error instead: "string.rep: result too large".

// DefaultMaxAlloc is the bound when Options.MaxAlloc is 0: 1 GiB.
var DefaultMaxAlloc = 1 << 30

// MaxAlloc is the largest single allocation, in bytes, an operation may
// make for a script in this state: Options.MaxAlloc, or DefaultMaxAlloc.
func (ls *LState) MaxAlloc() int {
	if ls.Options.MaxAlloc > 0 {
		return ls.Options.MaxAlloc
	}
	return DefaultMaxAlloc
}

// CheckAlloc raises "<what>: result too large" when a result of size bytes
// (negative: too large to count) is over MaxAlloc.
func (ls *LState) CheckAlloc(what string, size int) {
	if size < 0 || size > ls.MaxAlloc() {
		ls.RaiseError("%s: result too large", what)
	}
}

// checkStack reports whether n more values fit on the data stack: within
// RegistryMaxSize (or the registry as it is, when it may not grow) and,
// at 16 bytes a value, within MaxAlloc.
func (ls *LState) checkStack(n int) bool {
	if n < 0 || n > ls.MaxAlloc()/16 {
		return false
	}
	need := ls.reg.Top() + n
	return need <= len(ls.reg.array) || need <= ls.reg.maxSize
}

// repeatSize is the size of n copies of s joined by sep, or -1 when it
// does not fit in an int.
func repeatSize(s, sep string, n int) int {
	if n <= 0 {
		return 0
	}
	unit := len(s) + len(sep)
	if unit > 0 && n > (maxInt-len(s))/unit+1 {
		return -1
	}
	return n*len(s) + (n-1)*len(sep)
}

const maxInt = int(^uint(0) >> 1)
