package lualib

// Lua 5.2's table.pack and table.unpack, added to Lua 5.1's table library
// (gopher-lua's), which binary protocols and code written for later Luas
// reach for.
//
//	table.pack(...) -> {n = select("#", ...), ...}
//	table.unpack(t[, i[, j]]) -> t[i], ..., t[j]   (the global unpack)

import (
	lua "github.com/yuin/gopher-lua"
)

// OpenTableExtras adds pack and unpack to the global table library.
func OpenTableExtras(L *lua.LState) {
	tbl, ok := L.GetGlobal("table").(*lua.LTable)
	if !ok {
		return
	}
	tbl.RawSetString("pack", L.NewFunction(tablePack))
	tbl.RawSetString("unpack", L.GetGlobal("unpack"))
}

// tablePack implements table.pack(...) -> a table of the arguments, with
// their count in n (nils included).
func tablePack(L *lua.LState) int {
	n := L.GetTop()
	t := L.CreateTable(n, 1)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, L.Get(i))
	}
	t.RawSetString("n", lua.LNumber(n))
	L.Push(t)
	return 1
}
