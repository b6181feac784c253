package lualib

import lua "github.com/yuin/gopher-lua"

// KeyLess orders table keys the way netplay shows tables (the REPL's
// printing, the test runner's diffs): numbers, then strings, then
// booleans (false first), then the rest by name, as name(key) renders it.
// The order does not depend on the table's hash.
func KeyLess(a, b lua.LValue, name func(lua.LValue) string) bool {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra < rb
	}
	switch a := a.(type) {
	case lua.LNumber:
		return a < b.(lua.LNumber)
	case lua.LString:
		return a < b.(lua.LString)
	case lua.LBool:
		return !bool(a) && bool(b.(lua.LBool))
	}
	return name(a) < name(b)
}

// keyRank is the rank of a key's type in KeyLess.
func keyRank(k lua.LValue) int {
	switch k.(type) {
	case lua.LNumber:
		return 0
	case lua.LString:
		return 1
	case lua.LBool:
		return 2
	}
	return 3
}
