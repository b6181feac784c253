package lualib

import (
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Handing received bytes to Lua as a string in one allocation.
//
// lua.LString(b) as an LValue costs two allocations: the string's bytes,
// then a 16-byte box for the string header the interface points to (Go
// boxes every string it stores in an interface). For a server echoing
// small frames that box was a sixth of its allocation work. newLString
// makes one block that holds both: the header in its first 16 bytes,
// pointing at the bytes that follow it, and the interface points at the
// header.
//
// Why the garbage collector is content: the block is allocated as bytes
// (it is never scanned for pointers), and the one pointer inside it, the
// header's, points into the block itself, which the interface keeps
// alive. A string taken out of the value (v.(lua.LString)) points into
// the block too, and an interior pointer keeps a block alive like any
// other. Nothing is ever written to the block after it is made.

// stringHeaderSize is the size of a Go string header (pointer, length).
const stringHeaderSize = unsafe.Sizeof("")

// ifaceWords is the layout of a non-empty interface value.
type ifaceWords struct {
	tab  unsafe.Pointer
	data unsafe.Pointer
}

// lstringTab is the interface table of LString as an LValue.
var lstringTab = func() unsafe.Pointer {
	var v lua.LValue = lua.LString("")
	return (*ifaceWords)(unsafe.Pointer(&v)).tab
}()

// oneBlockMax is the longest string newLString puts in one block. Past it
// the box is a small part of the cost, and the header would push a string
// of a round size into the next size class (4,096 + 16 bytes take a
// 4,864-byte block).
const oneBlockMax = 1024

// newLString returns b as a Lua string (a copy): in one allocation up to
// oneBlockMax bytes.
func newLString(b []byte) lua.LValue {
	if len(b) == 0 || len(b) > oneBlockMax {
		return lua.LString(b)
	}
	block := make([]byte, int(stringHeaderSize)+len(b))
	body := block[stringHeaderSize:]
	copy(body, b)
	*(*string)(unsafe.Pointer(&block[0])) = unsafe.String(&body[0], len(body))
	var v lua.LValue
	w := (*ifaceWords)(unsafe.Pointer(&v))
	w.tab, w.data = lstringTab, unsafe.Pointer(&block[0])
	return v
}
