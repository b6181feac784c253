package lualib_test

import (
	"fmt"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
)

// Until lualib.Modules lists bin and json, the tests add them (a no-op
// once the list has them).
func TestBinLua(t *testing.T) { luatest.RunFile(t, "testdata/bin_test.lua", nil) }

// Whole numbers reach binpack as int64: pack and unpack are exact up to
// 2^53, and an 8-byte value beyond comes back as the nearest float64.
func TestBinLargeIntegers(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	L.PreloadModule("bin", lualib.OpenBin)
	err := L.DoString(`
		local bin = require "bin"
		local function hex(...) return bin.hex(bin.pack(...)) end
		assert(hex(">j", 2^53) == "0020000000000000")
		assert(hex(">j", -2^53) == "ffe0000000000000")
		assert(hex(">j", 2^62) == "4000000000000000")
		assert(bin.unpack(">j", bin.unhex("0020000000000001")) == 2^53, "2^53+1 rounds to 2^53")
		assert(bin.unpack(">j", bin.unhex("7fffffffffffffff")) == 2^63)
		assert(bin.unpack(">J", bin.unhex("8000000000000000")) == -2^63, "wraps to negative, as in Lua")
	`)
	if err != nil {
		t.Fatal(err)
	}
}

func ExampleOpenBin() {
	L := lua.NewState()
	defer L.Close()
	L.PreloadModule("bin", lualib.OpenBin)
	err := L.DoString(`
		local bin = require "bin"
		local frame = bin.pack(">I4", 5) .. "hello"
		print(bin.hex(frame))
		local len, pos = bin.unpack(">I4", frame)
		print(len, pos, frame:sub(pos, pos + len - 1))
		print(bin.unhex("de:ad be ef") == "\222\173\190\239", bin.unhex("xyz"))
		print((bin.hexdump("Hello, binpack!\n\0\1"):gsub("\n$", "")))
		print(pcall(bin.pack, "i1", 300))
	`)
	fmt.Println(err)
	// Output:
	// 0000000568656c6c6f
	// 5	5	hello
	// true	nil	invalid hex digit 'x' at offset 0
	// 00000000: 4865 6c6c 6f2c 2062 696e 7061 636b 210a  Hello, binpack!.
	// 00000010: 0001                                     ..
	// false	<string>:9: bad argument #2 to pack (integer overflow)
	// <nil>
}
