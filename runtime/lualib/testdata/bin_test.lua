-- The bin module, specified in Lua: each test_* runs on a fresh host
-- (runtime/lualib/bin_test.go). Formats are Lua 5.3's string.pack ones.

local T = require("luatest")
local eq, raises = T.eq, T.raises

function test_pack_vectors_for_every_format_letter()
  local cases = {
    -- format, values, hex of the result
    {"b", {-2}, "fe"},
    {"B", {255}, "ff"},
    {"<h", {-2}, "feff"},
    {">H", {258}, "0102"},
    {"<i", {-1}, "ffffffff"},
    {">i3", {1}, "000001"},
    {">i16", {-2}, "fffffffffffffffffffffffffffffffe"},
    {">I2", {258}, "0102"},
    {"<I4", {1}, "01000000"},
    {"<I1", {0}, "00"},
    {"<l", {1}, "0100000000000000"},
    {">L", {1}, "0000000000000001"},
    {"<j", {-1}, "ffffffffffffffff"},
    {">J", {2^32}, "0000000100000000"},
    {"<T", {5}, "0500000000000000"},
    {">f", {1.5}, "3fc00000"},
    {">d", {1.5}, "3ff8000000000000"},
    {"<d", {-0.25}, "000000000000d0bf"},
    {">n", {-2}, "c000000000000000"},
    {">s1", {"hi"}, "026869"},
    {"<s", {"a"}, "010000000000000061"},
    {">s2", {""}, "0000"},
    {"z", {"hi"}, "686900"},
    {"BxB", {1, 2}, "010002"},
    {"<!4 b Xi4 b", {1, 2}, "0100000002"},
    {"c5", {"hi"}, "6869000000"},
    {"<!4 b i4", {1, 2}, "0100000002000000"},
    {"<!2 b d", {1, 0}, "01000000000000000000"},
    {"=I2", {1}, "0100"},
    {"> I2 I2", {1, 2}, "00010002"},
    {"", {}, ""},
  }
  for _, c in ipairs(cases) do
    eq(bin.hex(bin.pack(c[1], unpack(c[2]))), c[3], "pack " .. c[1])
  end
end

function test_unpack_vectors_and_next_position()
  local function all(...) return {...} end
  local cases = {
    -- format, data, values..., next position
    {">I2", "\1\2", {258, 3}},
    {"<i2", "\254\255", {-2, 3}},
    {"b B", "\255\255", {-1, 255, 3}},
    {">i3", "\255\255\254", {-2, 4}},
    {">f", "\63\192\0\0", {1.5, 5}},
    {">d", bin.unhex("3ff8000000000000"), {1.5, 9}},
    {">s1 z", "\2hiend\0", {"hi", "end", 8}},
    {"c3", "abcdef", {"abc", 4}},
    {"BxB", "\1\0\2", {1, 2, 4}},
    {"<!4 b Xi4 b", "\1\0\0\0\2", {1, 2, 6}},
    {"<J", string.rep("\255", 8), {-1, 9}}, -- 2^64-1 wraps, as in Lua
    {"", "abc", {1}},
  }
  for _, c in ipairs(cases) do
    local got = all(bin.unpack(c[1], c[2]))
    eq(#got, #c[3], "unpack " .. c[1] .. " result count")
    for i, want in ipairs(c[3]) do eq(got[i], want, "unpack " .. c[1] .. " result " .. i) end
  end
end

function test_protocol_header()
  local header = bin.pack(">I4", 5) .. "hello"
  local len, pos = bin.unpack(">I4", header)
  eq(len, 5); eq(pos, 5)
  eq(header:sub(pos, pos + len - 1), "hello")
end

function test_unpack_positions()
  local s = "\1\2\3"
  local v, pos = bin.unpack("B", s, 2)
  eq(v, 2); eq(pos, 3)
  v, pos = bin.unpack("B", s, -1)
  eq(v, 3); eq(pos, 4, "negative position counts from the end")
  v, pos = bin.unpack("B", s, -3)
  eq(v, 1); eq(pos, 2)
  raises("bad argument #3 to unpack (initial position out of string)", bin.unpack, "B", s, -4)
  eq(bin.unpack("", s, 4), 4, "just past the end is a position")
  raises("bad argument #3 to unpack (initial position out of string)", bin.unpack, "", s, 0)
  -- reading fields one after another with the returned position
  local a, b, c
  a, pos = bin.unpack(">H", "\0\1\0\2\0\3")
  b, pos = bin.unpack(">H", "\0\1\0\2\0\3", pos)
  c, pos = bin.unpack(">H", "\0\1\0\2\0\3", pos)
  eq(a + b + c, 6); eq(pos, 7)
end

function test_round_trips()
  local fmt = "<b B h H i3 I5 j d f s1 z c4"
  local vals = {-128, 255, -32768, 65535, -8388608, 2^40 - 1, 2^53, 0.1, 0.5, "bytes\0!", "zero-free", "abcd"}
  local packed = bin.pack(fmt, unpack(vals))
  eq(#packed, bin.packsize("<b B h H i3 I5 j d f") + 1 + 7 + 10 + 4)
  local got = {bin.unpack(fmt, packed)}
  for i, want in ipairs(vals) do eq(got[i], want, "value " .. i) end
  eq(got[#vals + 1], #packed + 1, "next position")
end

function test_numbers_convert_like_tostring()
  eq(bin.pack("s1", 3), "\0013", "a whole number packs without .0")
  eq(bin.pack("z", 1.5), "1.5\0")
  eq(bin.pack("z", -7), "-7\0")
  eq(bin.pack("B", "65"), "A", "a numeric string is a number")
  eq(bin.pack("B", " 0x41 "), "A")
  eq(bin.pack(">d", "1.5"), bin.pack(">d", 1.5))
  eq(bin.pack("B", 3.0), "\3", "a float with an integer value is an integer")
end

function test_packsize()
  eq(bin.packsize(""), 0)
  eq(bin.packsize("i4 i8"), 12)
  eq(bin.packsize("!<b i4 d"), 16)
  eq(bin.packsize("c10 x B"), 12)
end

function test_misuse_raises_naming_the_argument()
  raises("bad argument #2 to pack (integer overflow)", bin.pack, "i1", 300)
  raises("bad argument #3 to pack (unsigned overflow)", bin.pack, "B I1", 1, -1)
  raises("bad argument #2 to pack (number has no integer representation)", bin.pack, "i", 1.5)
  raises("bad argument #2 to pack (number has no integer representation)", bin.pack, "j", 2^63)
  raises("bad argument #2 to pack (number expected, got string)", bin.pack, "i", "x")
  raises("bad argument #2 to pack (number expected, got table)", bin.pack, "i", {})
  raises("bad argument #2 to pack (number expected, got boolean)", bin.pack, "d", true)
  raises("bad argument #2 to pack (number expected, got nil)", bin.pack, "i")
  raises("bad argument #2 to pack (string expected, got function)", bin.pack, "z", print)
  raises("bad argument #2 to pack (string contains zeros)", bin.pack, "z", "a\0b")
  raises("bad argument #2 to pack (string longer than given size)", bin.pack, "c2", "abc")
  raises("bad argument #2 to pack (string length does not fit in given size)", bin.pack, "s1", ("x"):rep(256))
  raises("bad argument #1 to pack (format asks for alignment not power of 2)", bin.pack, "!3 i3", 1)
  raises("bad argument #1 to pack (invalid next option for option 'X')", bin.pack, "X")
  raises("bad argument #1 to pack (string expected, got nil)", bin.pack)
  raises("invalid format option 'y'", bin.pack, "y")
  raises("integral size (17) out of limits [1,16]", bin.pack, "i17", 1)
  raises("missing size for format option 'c'", bin.pack, "c", "")

  raises("bad argument #2 to unpack (data string too short)", bin.unpack, ">I4", "\0\0")
  raises("bad argument #2 to unpack (data string too short)", bin.unpack, "s1", "\5ab")
  raises("bad argument #2 to unpack (unfinished string for format 'z')", bin.unpack, "z", "abc")
  raises("bad argument #3 to unpack (initial position out of string)", bin.unpack, "B", "abc", 5)
  raises("bad argument #3 to unpack (number has no integer representation)", bin.unpack, "B", "abc", 1.5)
  raises("bad argument #3 to unpack (number expected, got table)", bin.unpack, "B", "abc", {})
  raises("bad argument #2 to unpack (string expected, got nil)", bin.unpack, "B")
  raises("9-byte integer does not fit into Lua Integer", bin.unpack, "<i9", ("\0"):rep(8) .. "\1")
  raises("too many results", bin.unpack, ("B"):rep(100001), ("\0"):rep(100001))

  raises("bad argument #1 to packsize (variable-length format)", bin.packsize, "i s")
  raises("bad argument #1 to packsize (variable-length format)", bin.packsize, "z")
  raises("bad argument #1 to hex (string expected, got table)", bin.hex, {})
  raises("bad argument #1 to unhex (string expected, got nil)", bin.unhex)
  raises("bad argument #1 to hexdump (string expected, got boolean)", bin.hexdump, false)
end

function test_error_carries_the_callers_position()
  local ok, err = pcall(function() return bin.pack("i1", 300) end)
  eq(ok, false)
  assert(err:match("^<string>:%d+: bad argument #2 to pack %(integer overflow%)$"), err)
end

function test_hex_and_unhex()
  eq(bin.hex(""), "")
  eq(bin.hex("Hello"), "48656c6c6f")
  eq(bin.hex("\0\15\16\255"), "000f10ff")
  eq(bin.unhex("48656c6c6f"), "Hello")
  eq(bin.unhex("48:65 6C6c\n6F"), "Hello", "case, spaces, newlines and colons")
  eq(bin.unhex(""), "")
  local all = {}
  for i = 0, 255 do all[#all + 1] = string.char(i) end
  all = table.concat(all)
  eq(bin.unhex(bin.hex(all)), all, "every byte round-trips")
  eq(bin.unhex(bin.hex(all):upper()), all)
end

function test_unhex_bad_input_returns_nil_err()
  local cases = {
    {"zz", "invalid hex digit 'z' at offset 0"},
    {"48 6g", "invalid hex digit 'g' at offset 4"},
    {"48\0", "invalid hex digit 0x00 at offset 2"},
    {"486", "odd number of hex digits (unpaired digit at offset 2)"},
    {"4 8 6", "odd number of hex digits (unpaired digit at offset 4)"},
  }
  for _, c in ipairs(cases) do
    local v, err = bin.unhex(c[1])
    eq(v, nil, ("unhex(%q)"):format(c[1]))
    eq(err, c[2], ("unhex(%q) error"):format(c[1]))
  end
end

function test_hexdump_golden()
  eq(bin.hexdump(""), "")
  eq(bin.hexdump("Hello, binpack!\n\0\1"),
    "00000000: 4865 6c6c 6f2c 2062 696e 7061 636b 210a  Hello, binpack!.\n" ..
    "00000010: 0001                                     ..\n")
  eq(bin.hexdump("A"), "00000000: 41                                       A\n")
  local b = {}
  for i = 0x20, 0x3f do b[#b + 1] = string.char(i) end
  eq(bin.hexdump(table.concat(b)),
    "00000000: 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f   !\"#$%&'()*+,-./\n" ..
    "00000010: 3031 3233 3435 3637 3839 3a3b 3c3d 3e3f  0123456789:;<=>?\n")
end

function test_module_is_required_and_global()
  eq(require("bin"), bin)
end
