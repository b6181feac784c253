package lualib

// "Did you mean": a call of a method that netplay's objects do not have
// names the nearest one they do.
//
//	c:recieve(8)  ->  attempt to call method 'recieve' (a nil value); did you mean recv?

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// typePrefix starts the __name of every netplay userdata type.
const typePrefix = "netplay."

// installMethodHint makes the interpreter's "attempt to call method" errors
// suggest the nearest method of netplay's objects (the patched gopher-lua
// calls the hook; PATCHES.md).
func installMethodHint(L *lua.LState) {
	L.G.MethodHint = func(obj lua.LValue, name string) string {
		return nearest(name, methodsOf(L, obj))
	}
}

// methodsOf lists the methods of a netplay object: the functions of its
// metatable's __index table, or of its "methods" table when __index is a
// function (framed sockets). Other values have none.
func methodsOf(L *lua.LState, obj lua.LValue) []string {
	if _, ok := obj.(*lua.LUserData); !ok {
		return nil
	}
	mt, ok := L.GetMetatable(obj).(*lua.LTable)
	if !ok || !strings.HasPrefix(lua.LVAsString(mt.RawGetString("__name")), typePrefix) {
		return nil
	}
	return methodNames(mt)
}

// nearest returns the candidate closest to name by edit distance, or ""
// when none is close: at most half of name's length away (at least 1),
// and nearer than the candidate is long. Ties go to the first in order.
func nearest(name string, candidates []string) string {
	best, bestDist := "", -1
	limit := max(1, len(name)/2)
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d <= limit && d < len(c) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two neighbours each
// count one.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Fields returns the fields a netplay object offers besides its methods,
// read without running Lua code: a framed socket's sock and codec (for
// the REPL's completion of fs.sock:). Other values have none.
func Fields(v lua.LValue) map[string]lua.LValue {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return nil
	}
	if f, ok := ud.Value.(*framed); ok {
		return map[string]lua.LValue{"sock": f.sockUD, "codec": f.codecV}
	}
	return nil
}
