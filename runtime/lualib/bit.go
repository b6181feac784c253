package lualib

// The bit module: LuaJIT's BitOp API, the bit operations Lua 5.1 code
// already uses (http://bitop.luajit.org/api.html), with LuaJIT's results
// to the bit.
//
//	bit.tobit(x) -> x as a signed 32-bit number
//	bit.tohex(x[, n]) -> n hex digits of x (default 8; negative n: upper case)
//	bit.bnot(x)    bit.band(x, ...)    bit.bor(x, ...)    bit.bxor(x, ...)
//	bit.lshift(x, n)    bit.rshift(x, n)    bit.arshift(x, n)
//	bit.rol(x, n)    bit.ror(x, n)    bit.bswap(x)
//
// Every argument is first normalized as tobit does, and every result is a
// signed 32-bit number: bit.bor(0x80000000, 0) is -2147483648. Shift counts
// use their low 5 bits. runtime/lualib/testdata/bit holds vectors made with
// LuaJIT itself.

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

var bitFuncs = map[string]lua.LGFunction{
	"tobit":   bitToBit,
	"tohex":   bitToHex,
	"bnot":    bitNot,
	"band":    bitAnd,
	"bor":     bitOr,
	"bxor":    bitXor,
	"lshift":  bitLShift,
	"rshift":  bitRShift,
	"arshift": bitARShift,
	"rol":     bitRol,
	"ror":     bitRor,
	"bswap":   bitSwap,
}

// OpenBit is the loader of the bit module.
func OpenBit(L *lua.LState) int {
	L.Push(L.SetFuncs(L.NewTable(), bitFuncs))
	return 1
}

// toBit is LuaJIT's lj_num2bit: x + 2^52 + 2^51, rounded to nearest even,
// keeps the integer in the low 32 bits of the sum. NaN gives 0, as the
// default NaN of every CPU LuaJIT runs on does.
func toBit(x float64) int32 {
	if x != x {
		return 0
	}
	return int32(uint32(math.Float64bits(x + 6755399441055744.0)))
}

// checkBit reads argument n as a number (numeric strings convert) and
// normalizes it.
func checkBit(L *lua.LState, n int) int32 {
	return toBit(float64(L.CheckNumber(n)))
}

func pushBit(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

// bitToBit implements bit.tobit(x) -> x as a signed 32-bit number.
func bitToBit(L *lua.LState) int { return pushBit(L, checkBit(L, 1)) }

// bitNot implements bit.bnot(x) -> ~x.
func bitNot(L *lua.LState) int { return pushBit(L, ^checkBit(L, 1)) }

// bitFold applies op over every argument (at least one).
func bitFold(L *lua.LState, op func(a, b int32) int32) int {
	acc := checkBit(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		acc = op(acc, checkBit(L, i))
	}
	return pushBit(L, acc)
}

// bitAnd implements bit.band(x, ...) -> the bitwise and of all.
func bitAnd(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a & b }) }

// bitOr implements bit.bor(x, ...) -> the bitwise or of all.
func bitOr(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a | b }) }

// bitXor implements bit.bxor(x, ...) -> the bitwise exclusive or of all.
func bitXor(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a ^ b }) }

// bitShift reads x and a shift count (its low 5 bits) and pushes op's result.
func bitShift(L *lua.LState, op func(x uint32, n uint) uint32) int {
	x, n := checkBit(L, 1), checkBit(L, 2)
	return pushBit(L, int32(op(uint32(x), uint(n&31))))
}

// bitLShift implements bit.lshift(x, n) -> x shifted left by n.
func bitLShift(L *lua.LState) int {
	return bitShift(L, func(x uint32, n uint) uint32 { return x << n })
}

// bitRShift implements bit.rshift(x, n) -> x shifted right by n, zeros in.
func bitRShift(L *lua.LState) int {
	return bitShift(L, func(x uint32, n uint) uint32 { return x >> n })
}

// bitARShift implements bit.arshift(x, n) -> x shifted right by n, copies
// of the sign bit in.
func bitARShift(L *lua.LState) int {
	return bitShift(L, func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) })
}

// bitRol implements bit.rol(x, n) -> x rotated left by n.
func bitRol(L *lua.LState) int {
	return bitShift(L, func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, int(n)) })
}

// bitRor implements bit.ror(x, n) -> x rotated right by n.
func bitRor(L *lua.LState) int {
	return bitShift(L, func(x uint32, n uint) uint32 { return bits.RotateLeft32(x, -int(n)) })
}

// bitSwap implements bit.bswap(x) -> x with its 4 bytes in reverse order.
func bitSwap(L *lua.LState) int {
	return pushBit(L, int32(bits.ReverseBytes32(uint32(checkBit(L, 1)))))
}

// bitToHex implements bit.tohex(x[, n]) -> a hex string, as LuaJIT 2.1's
// lib_bit.c makes it: n digits (default 8), upper case when n is
// negative; with n below 8 the low 4n bits, from 9 on leading zeros. Its
// precision byte wraps: n = 255 gives as many digits as x needs, n = 1000
// gives 232.
func bitToHex(L *lua.LState) int {
	x := uint64(uint32(checkBit(L, 1)))
	n := int32(8)
	if L.GetTop() >= 2 {
		n = checkBit(L, 2)
	}
	upper := n < 0
	if upper {
		n = -n // -2^31 stays negative, as in C
	}
	if n < 16 {
		x &= 1<<(uint32(4*n)&63) - 1
	}
	digits := strconv.FormatUint(x, 16)
	if prec := (n + 1) & 255; prec != 0 {
		digits = padHex(digits, int(prec-1))
	}
	if upper {
		digits = strings.ToUpper(digits)
	}
	L.Push(lua.LString(digits))
	return 1
}

// padHex pads digits with zeros to prec, as printf's "%.*x" does: a
// precision of 0 prints nothing for 0.
func padHex(digits string, prec int) string {
	if prec == 0 && digits == "0" {
		return ""
	}
	if len(digits) < prec {
		return strings.Repeat("0", prec-len(digits)) + digits
	}
	return digits
}
