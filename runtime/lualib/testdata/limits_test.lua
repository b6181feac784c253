-- The bound on one allocation (host.Options.MaxAlloc, --max-alloc): every
-- operation whose result size a script chooses refuses, with a catchable
-- error, a result over the bound, and the state goes on
-- (third_party/gopher-lua/PATCHES.md: allocation bound). Run by
-- runtime/lualib/limits_test.go with a bound of 1 MiB.

local T = require("luatest")
local eq, raises = T.eq, T.raises

local MiB = 2^20
local half = ("x"):rep(MiB / 2)

-- goes_on checks the state still works after an error.
local function goes_on()
  eq(("ab"):rep(3) .. "!", "ababab!", "the state goes on")
end

function test_string_rep()
  raises("string.rep: result too large", string.rep, "x", 2^40)
  raises("string.rep: result too large", string.rep, "x", MiB + 1)
  raises("string.rep: result too large", string.rep, "abc", 2^62)
  eq(#string.rep("x", MiB), MiB, "exactly the bound")
  eq(string.rep("ab", 0), ""); eq(string.rep("ab", -1), "")
  goes_on()
end

function test_concatenation()
  raises("string concatenation: result too large", function() return half .. half .. "y" end)
  raises("string concatenation: result too large", function() return 1 .. half .. half end)
  local s = half
  raises("string concatenation: result too large", function() for _ = 1, 10 do s = s .. s end end)
  eq(#(half .. half), MiB, "exactly the bound")
  goes_on()
end

function test_table_concat()
  raises("table.concat: result too large", table.concat, {half, half}, ",")
  raises("table.concat: result too large", table.concat, {half, half, half})
  eq(#table.concat({half, half}), MiB, "exactly the bound")
  eq(table.concat({1, "a", 2.5}, ", "), "1, a, 2.5")
  eq(table.concat({"a", "b", "c"}, "-", 2, 3), "b-c")
  eq(table.concat({}, "x"), "")
  raises("invalid value (table) at index 2 in table for concat", table.concat, {"a", {}})
  goes_on()
end

function test_table_concat_of_many_values()
  local t = {}
  for i = 1, 100000 do t[i] = "a" end
  eq(#table.concat(t, ","), 199999, "100,000 values, not 200,000 stack slots")
end

function test_string_format()
  raises("invalid format (width or precision too long)", string.format, "%99999999d", 1)
  raises("invalid format (width or precision too long)", string.format, "%100d", 1)
  raises("invalid format (width or precision too long)", string.format, "%.100f", 1)
  raises("invalid format (repeated flags)", string.format, "%------d", 1)
  raises("string.format: result too large", string.format, "%s%s", half, half)
  eq(#("%99d"):format(1), 99); eq(#("%.99f"):format(1), 101)
  eq(("%-5d|%05.1f|%s"):format(7, 3.14159, "ok"), "7    |003.1|ok")
  eq(#("%s"):format(half), MiB / 2)
  goes_on()
end

function test_unpack()
  raises("too many results to unpack", unpack, {}, 1, 1e8)
  raises("too many results to unpack", unpack, {}, 1, MiB / 16 + 1)
  eq(select("#", unpack({}, 1, 1000)), 1000)
  eq(select("#", unpack({}, 2, 1)), 0, "an empty range")
  goes_on()
end

function test_string_byte()
  raises("string slice too long", string.byte, half, 1, -1)
  eq(select("#", ("x"):rep(1000):byte(1, -1)), 1000)
  goes_on()
end

function test_string_gsub()
  raises("string.gsub: result too large", string.gsub, ("x"):rep(1000), "x", ("y"):rep(2000))
  raises("string.gsub: result too large", string.gsub, ("x"):rep(1000), "x", function() return ("y"):rep(2000) end)
  raises("string.gsub: result too large", string.gsub, ("x"):rep(1000), "x", {x = ("y"):rep(2000)})
  local s, n = ("x"):rep(100000):gsub("x", "yy")
  eq(#s, 200000); eq(n, 100000)
  goes_on()
end

function test_bin()
  raises("bin.pack: result too large", bin.pack, "c2000000", "")
  raises("bin.pack: result too large", bin.pack, "s4s4", half, half)
  eq(#bin.pack("s4", half), MiB / 2 + 4)
  raises("bin.hex: result too large", bin.hex, half .. "x")
  raises("bin.hexdump: result too large", bin.hexdump, half)
  eq(bin.hex("Hi"), "4869")
  goes_on()
end

function test_json_encode()
  raises("json: result too large", json.encode, {half, half})
  raises("json: result too large", json.encode, {[half] = half})
  raises("json: result too large", json.encode, {("\1"):rep(MiB / 4)}) -- escapes count
  local many = {}
  for i = 1, 200000 do many[i] = 12345 end
  raises("json: result too large", json.encode, many)
  local nested = {}
  for i = 1, 20000 do nested[i] = {1} end
  eq(#json.encode(nested), 20000 * 4 + 1, "compact fits")
  raises("json: result too large", json.encode, nested, {indent = 16})
  goes_on()
end
