-- The language as Lua 5.1 users know it: behaviours netplay's patched
-- gopher-lua (third_party/gopher-lua/PATCHES.md) gets right, each pinned
-- here (runtime/lualib/lua_test.go).

local T = require("luatest")
local eq = T.eq

-- Table constructors (PATCHES.md: keyed last field).

local function three() return 1, 2, 3 end

function test_constructor_keyed_last_call_is_one_value()
  local t = {"a", n = tostring(5)}
  eq(#t, 1, "#t"); eq(t[1], "a"); eq(t[2], nil, "t[2]"); eq(t.n, "5")
  t = {"a", n = three()}
  eq(#t, 1, "#t"); eq(t.n, 1); eq(t[2], nil, "t[2]")
  t = {"a", ["k"] = three()}
  eq(#t, 1, "#t with a bracketed key"); eq(t.k, 1)
end

function test_constructor_keyed_last_vararg_is_one_value()
  local function f(...) return {"a", n = ...} end
  local t = f(7, 8, 9)
  eq(#t, 1, "#t"); eq(t.n, 7); eq(t[2], nil, "t[2]")
end

function test_constructor_keyed_last_method_call_is_one_value()
  local obj = {pair = function(self) return "x", "y" end}
  local t = {"a", "b", k = obj:pair()}
  eq(#t, 2, "#t"); eq(t.k, "x"); eq(t[3], nil, "t[3]")
end

function test_constructor_positional_last_still_expands()
  eq(#{three()}, 3, "#{f()}")
  eq(#{"a", three()}, 4, "#{'a', f()}")
  eq(#{three(), three()}, 4, "only the last call expands")
  local function pack(...) return {...} end
  eq(#pack(1, 2, 3), 3, "#{...}")
  local obj = {pair = function(self) return "x", "y" end}
  eq(#{obj:pair()}, 2, "#{o:m()}")
  local t = {n = 1, three()}
  eq(#t, 3, "#t after a keyed field"); eq(t.n, 1)
  eq(#{"a", (three())}, 2, "parentheses keep one value")
end

function test_constructor_keyed_last_encodes_as_object()
  eq(json.encode({"a", n = tostring(5)}), '{"1":"a","n":"5"}')
end
