package lualib

// The bin module: binary packing (Lua 5.3's string.pack formats) and hex,
// over the pure-Go package runtime/binpack.
//
//	bin.pack(fmt, ...) -> string
//	bin.unpack(fmt, s[, pos]) -> values..., next_pos
//	bin.packsize(fmt) -> number
//	bin.hex(s) -> lowercase hex      bin.unhex(hex) -> bytes | nil, err
//	bin.hexdump(s) -> xxd-style text
//
// Numbers are Lua numbers (float64): whole numbers go to binpack as int64,
// so integers above 2^53 lose precision on the way in and out.

import (
	"errors"
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/binpack"
)

var binFuncs = map[string]lua.LGFunction{
	"pack":     binPack,
	"unpack":   binUnpack,
	"packsize": binPacksize,
	"hex":      binHex,
	"unhex":    binUnhex,
	"hexdump":  binHexdump,
}

// binMaxResults bounds the values one bin.unpack call pushes, well below
// the Lua stack's limit (the host's registry holds 1Mi slots).
const binMaxResults = 100000

// OpenBin is the loader of the bin module.
func OpenBin(L *lua.LState) int {
	L.Push(L.SetFuncs(L.NewTable(), binFuncs))
	return 1
}

// namedArgError raises "bad argument #n to fname (msg)", worded as
// L.ArgError does for the other modules. bin and json name the function
// themselves rather than taking the call site's name, so
// pcall(bin.pack, ...) still says pack.
func namedArgError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to %s (%s)", n, fname, msg)
}

// binCheckString reads a string argument at n of fname; numbers are
// converted as tostring does (luaL_checklstring).
func binCheckString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	namedArgError(L, n, fname, "string expected, got "+L.Get(n).Type().String())
	return ""
}

// raiseBinpack raises a binpack error as misuse of fname: argument errors
// as "bad argument #N to fname (msg)", Arg 0 as the plain message.
func raiseBinpack(L *lua.LState, fname string, err error) {
	var e *binpack.Error
	if errors.As(err, &e) && e.Arg > 0 {
		namedArgError(L, e.Arg, fname, e.Msg)
	}
	L.RaiseError("%s", err.Error())
}

// binValue converts a Lua argument for binpack.Pack: whole numbers in the
// int64 range as int64 (so "s1" with 3 packs "3", as tostring(3) reads),
// other numbers as float64, strings as string, anything else by its type
// name so binpack's errors read "number expected, got table".
func binValue(v lua.LValue) binpack.Value {
	switch v := v.(type) {
	case lua.LNumber:
		f := float64(v)
		if f >= -0x1p63 && f < 0x1p63 && f == math.Trunc(f) {
			return int64(f)
		}
		return f
	case lua.LString:
		return string(v)
	case lua.LBool:
		return bool(v)
	case *lua.LNilType:
		return nil
	}
	return binpack.Other{Type: v.Type().String()}
}

// binLuaValue converts an unpacked value to Lua: int64 and float64 become
// numbers (int64 beyond 2^53 rounded to the nearest float64), strings
// strings.
func binLuaValue(v binpack.Value) lua.LValue {
	switch v := v.(type) {
	case int64:
		return lua.LNumber(float64(v))
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	}
	panic(fmt.Sprintf("bin: unexpected unpacked value %T", v))
}

// binPack implements bin.pack(fmt, ...) -> string.
func binPack(L *lua.LState) int {
	format := binCheckString(L, 1, "pack")
	args := make([]binpack.Value, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, binValue(L.Get(i)))
	}
	b, err := binpack.PackLimit(format, L.MaxAlloc(), args...)
	if errors.Is(err, binpack.ErrTooLarge) {
		L.RaiseError("bin.pack: result too large")
	}
	if err != nil {
		raiseBinpack(L, "pack", err)
	}
	L.Push(lua.LString(b))
	return 1
}

// binUnpack implements bin.unpack(fmt, s[, pos]) -> values..., next_pos:
// pos and next_pos are 1-based, and a negative pos counts from the end,
// exactly as string.unpack's.
func binUnpack(L *lua.LState) int {
	format := binCheckString(L, 1, "unpack")
	data := binCheckString(L, 2, "unpack")
	init := int64(1)
	switch v := L.Get(3).(type) {
	case *lua.LNilType:
	case lua.LNumber:
		f := float64(v)
		if !(f >= -0x1p63 && f < 0x1p63 && f == math.Trunc(f)) {
			namedArgError(L, 3, "unpack", "number has no integer representation")
		}
		init = int64(f)
	default:
		namedArgError(L, 3, "unpack", "number expected, got "+v.Type().String())
	}
	pos, err := binpack.LuaOffset(init, len(data))
	if err != nil {
		raiseBinpack(L, "unpack", err)
	}
	vals, next, err := binpack.Unpack(format, []byte(data), pos)
	if err != nil {
		raiseBinpack(L, "unpack", err)
	}
	if len(vals) > binMaxResults {
		L.RaiseError("too many results")
	}
	for _, v := range vals {
		L.Push(binLuaValue(v))
	}
	L.Push(lua.LNumber(next + 1))
	return len(vals) + 1
}

// binPacksize implements bin.packsize(fmt) -> number: the size of what
// bin.pack(fmt, ...) makes; formats with s or z raise.
func binPacksize(L *lua.LState) int {
	n, err := binpack.PackSize(binCheckString(L, 1, "packsize"))
	if err != nil {
		raiseBinpack(L, "packsize", err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// binHex implements bin.hex(s) -> string: two lowercase hex digits a byte.
func binHex(L *lua.LState) int {
	s := binCheckString(L, 1, "hex")
	L.CheckAlloc("bin.hex", 2*len(s))
	L.Push(lua.LString(binpack.Hex([]byte(s))))
	return 1
}

// binUnhex implements bin.unhex(hex) -> bytes | nil, err. Upper or lower
// case digits; spaces, tabs, newlines and ':' between them are skipped.
// Bad input (it may come from a peer) is not misuse: err reads
// "invalid hex digit 'g' at offset 2" or
// "odd number of hex digits (unpaired digit at offset 4)", 0-based offsets.
func binUnhex(L *lua.LState) int {
	b, err := binpack.Unhex(binCheckString(L, 1, "unhex"))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LString(b))
	return 1
}

// binHexdump implements bin.hexdump(s) -> text, as xxd prints it: 16 bytes
// a line, "00000000: 4865 6c6c 6f0a                           Hello.\n".
func binHexdump(L *lua.LState) int {
	s := binCheckString(L, 1, "hexdump")
	L.CheckAlloc("bin.hexdump", (len(s)+15)/16*80) // a line is under 80 bytes
	L.Push(lua.LString(binpack.Hexdump([]byte(s))))
	return 1
}
