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

-- Coroutines: values between resume and yield (PATCHES.md: resume values).

-- values packs its arguments with their count, so trailing nils count.
local function values(...) return {n = select("#", ...), ...} end

local function same(got, want, what)
  eq(got.n, want.n, what .. ": count")
  for i = 1, want.n do eq(got[i], want[i], what .. ": value " .. i) end
end

function test_resume_with_fewer_values_than_yield_takes()
  local co = coroutine.create(function() local a, b = coroutine.yield(); return a, b end)
  coroutine.resume(co)
  same(values(coroutine.resume(co, 1)), values(true, 1, nil), "resume(co, 1)")
  co = coroutine.create(function() local a, b, c = coroutine.yield(); return a, b, c end)
  coroutine.resume(co)
  same(values(coroutine.resume(co)), values(true, nil, nil, nil), "resume(co)")
end

function test_resume_with_more_values_than_yield_takes()
  local co = coroutine.create(function() local a = coroutine.yield(); return a end)
  coroutine.resume(co)
  same(values(coroutine.resume(co, 1, 2, 3)), values(true, 1), "resume(co, 1, 2, 3)")
end

function test_resume_values_all_reach_an_open_yield()
  local co = coroutine.create(function() return values(coroutine.yield()) end)
  coroutine.resume(co)
  local ok, got = coroutine.resume(co, 1, nil, 3, nil)
  eq(ok, true)
  same(got, values(1, nil, 3, nil), "values(coroutine.yield())")
  co = coroutine.create(function() local t = {coroutine.yield()} return #t end)
  coroutine.resume(co)
  same(values(coroutine.resume(co, "a", "b")), values(true, 2), "{coroutine.yield()}")
end

function test_yield_in_tail_position()
  local co = coroutine.create(function() return coroutine.yield(1) end)
  same(values(coroutine.resume(co)), values(true, 1), "first resume")
  same(values(coroutine.resume(co, 2, 3)), values(true, 2, 3), "second resume")
  eq(coroutine.status(co), "dead")
  local function inner() return coroutine.yield("in") end
  co = coroutine.create(function() local x, y = inner() return x, y end)
  same(values(coroutine.resume(co)), values(true, "in"), "first resume")
  same(values(coroutine.resume(co, "x")), values(true, "x", nil), "second resume")
end

function test_yield_values_reach_resume()
  local co = coroutine.create(function() coroutine.yield(1) coroutine.yield(1, 2, 3) coroutine.yield() end)
  local ok, a, b, c = coroutine.resume(co)
  eq(ok, true); eq(a, 1); eq(b, nil, "b"); eq(c, nil, "c")
  same(values(coroutine.resume(co)), values(true, 1, 2, 3), "three values")
  same(values(coroutine.resume(co)), values(true), "none")
  same(values(coroutine.resume(co)), values(true), "the end")
  eq(coroutine.status(co), "dead")
end

function test_first_resume_arguments()
  local co = coroutine.create(function(a, b) return a, b end)
  same(values(coroutine.resume(co, 1)), values(true, 1, nil), "fewer")
  co = coroutine.create(function(a) return a end)
  same(values(coroutine.resume(co, 1, 2)), values(true, 1), "more")
  co = coroutine.create(function(...) return select("#", ...), ... end)
  same(values(coroutine.resume(co, nil, 2, nil)), values(true, 3, nil, 2, nil), "varargs")
end

function test_wrap_passes_values_both_ways()
  local gen = coroutine.wrap(function(a)
    local b, c = coroutine.yield(a)
    local d = coroutine.yield(b, c)
    return d
  end)
  same(values(gen("first")), values("first"), "first call")
  same(values(gen("b")), values("b", nil), "second call, one value for two")
  same(values(gen(1, 2, 3)), values(1), "third call, three values for one")
end

-- math.huge (PATCHES.md: math.huge).

function test_math_huge_is_infinity()
  eq(math.huge, 1/0, "math.huge")
  eq(-math.huge, -1/0, "-math.huge")
  eq(math.huge > 1.7976931348623157e308, true, "above the largest float")
  eq(tostring(math.huge), "inf")
  T.raises("json: cannot encode inf", json.encode, math.huge)
  T.raises("json: cannot encode inf at .limit", json.encode, {limit = math.huge})
end
