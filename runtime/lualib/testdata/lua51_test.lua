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

-- Error messages name what failed, as Lua 5.1's getobjname does
-- (PATCHES.md: error messages). Each chunk is compiled as "t", so the
-- message starts "t:LINE: ".

local function raised(code)
  local fn = assert(loadstring(code, "t"))
  local ok, err = pcall(fn)
  if ok then error("no error from: " .. code, 2) end
  return err
end

function test_error_messages_name_the_variable()
  local cases = {
    -- calls
    {"undefinedfn()", "attempt to call global 'undefinedfn' (a nil value)"},
    {"local c = {} c:recieve(8)", "attempt to call method 'recieve' (a nil value)"},
    {"local t = {} t.f()", "attempt to call field 'f' (a nil value)"},
    {"local f; f()", "attempt to call local 'f' (a nil value)"},
    {"local u; (function() u() end)()", "attempt to call upvalue 'u' (a nil value)"},
    {"local t = {} t[1]()", "attempt to call field '?' (a nil value)"},
    {"local x = 5; x()", "attempt to call local 'x' (a number value)"},
    {"local t = {f = {}}; t.f()", "attempt to call field 'f' (a table value)"},
    {"string.nope()", "attempt to call field 'nope' (a nil value)"},
    {"local function f() return g() end f()", "attempt to call global 'g' (a nil value)"},
    {"(\"x\")()", "attempt to call a string value"},
    {"for k in nil do end", "attempt to call a nil value"},
    -- indexing
    {"print(x.y)", "attempt to index global 'x' (a nil value)"},
    {"x.y = 1", "attempt to index global 'x' (a nil value)"},
    {"local t = {} print(t.a.b)", "attempt to index field 'a' (a nil value)"},
    {"local t = {} t.a.b = 1", "attempt to index field 'a' (a nil value)"},
    {"local x; print(x.y)", "attempt to index local 'x' (a nil value)"},
    {"local function f(p) return p.y end f(nil)", "attempt to index local 'p' (a nil value)"},
    {"local a = 3; return a.z", "attempt to index local 'a' (a number value)"},
    {"local up = {} local function g() return up.x.y end g()", "attempt to index field 'x' (a nil value)"},
    {"local u; local function g() return u.x end g()", "attempt to index upvalue 'u' (a nil value)"},
    -- arithmetic, length, concatenation
    {"print(1 + x)", "attempt to perform arithmetic on global 'x' (a nil value)"},
    {"local t = {} print(t.n + 1)", "attempt to perform arithmetic on field 'n' (a nil value)"},
    {"local a, b = 1; print(b * a)", "attempt to perform arithmetic on local 'b' (a nil value)"},
    {"local n = \"abc\"; print(n * 2)", "attempt to perform arithmetic on local 'n' (a string value)"},
    {"print(-x)", "attempt to perform arithmetic on global 'x' (a nil value)"},
    {"print({} + 1)", "attempt to perform arithmetic on a table value"},
    {"print(#x)", "attempt to get length of global 'x' (a nil value)"},
    {"print(#5)", "attempt to get length of a number value"},
    {"print(\"a\" .. x)", "attempt to concatenate global 'x' (a nil value)"},
    {"print(x .. \"a\" .. y)", "attempt to concatenate global 'y' (a nil value)"},
    {"local t = {} t.s = t.y .. \"a\"", "attempt to concatenate field 'y' (a nil value)"},
    {"local r; return r .. \"x\"", "attempt to concatenate local 'r' (a nil value)"},
    {"local a = 1 print(a .. {} .. \"s\")", "attempt to concatenate a table value"},
    -- comparison names types, as in Lua 5.1
    {"print(1 < nil)", "attempt to compare number with nil"},
    {"print({} < {})", "attempt to compare two table values"},
  }
  for _, c in ipairs(cases) do eq(raised(c[1]), "t:1: " .. c[2], c[1]) end
end

function test_error_messages_keep_the_line()
  eq(raised("local a = 1\n\nundefinedfn()"), "t:3: attempt to call global 'undefinedfn' (a nil value)")
  eq(raised("local t = {}\nlocal v =\n  t.a.b"), "t:3: attempt to index field 'a' (a nil value)")
end

function test_error_message_for_a_misspelt_socket_method()
  local c = socket.tcp()
  local ok, err = pcall(function() return c:recieve(8) end)
  c:close()
  eq(ok, false)
  eq((err:gsub("^[^:]*:%d+: ", "")), "attempt to call method 'recieve' (a nil value); did you mean recv?")
end

-- gopher-lua's channel library is not opened (PATCHES.md: channel): a
-- blocking ch:receive() would freeze every task.

function test_no_channel_library()
  eq(channel, nil, "channel")
  eq(package.loaded.channel, nil, "package.loaded.channel")
  eq((pcall(require, "channel")), false, "require 'channel' fails")
end

-- Stacks (PATCHES.md: stack growth): deep recursion works, the data stack
-- grows fast, and past the limits Lua 5.1's catchable "stack overflow".

local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end

function test_recursion_10000_deep()
  eq(depth(10000), 10000, "depth(10000)")
  eq(coroutine.wrap(function() return depth(10000) end)(), 10000, "in a coroutine")
  eq(spawn(depth, 10000):join(), 10000, "in a task")
end

function test_recursion_past_the_limit_is_a_stack_overflow()
  local ok, err = pcall(loadstring("local function f() return 1 + f() end f()", "t"))
  eq(ok, false); eq(err, "t:1: stack overflow")
  ok, err = pcall(depth, 1e6)
  eq(ok, false); eq((err:gsub("^[^:]*:%d+: ", "")), "stack overflow")
  eq(depth(100), 100, "the state goes on")
end

function test_many_values_on_the_data_stack()
  eq(select("#", unpack({}, 1, 1e5)), 1e5, "unpack({}, 1, 1e5)")
  local t = {}
  for i = 1, 1000 do t[i] = i end
  local u = {unpack(t)}
  eq(#u, 1000); eq(u[1000], 1000)
  local s = string.rep("ab", 60000)
  local bytes = {s:byte(1, -1)}
  eq(#bytes, 120000, "#{s:byte(1, -1)}"); eq(bytes[120000], ("b"):byte())
end

function test_error_messages_name_the_local_in_scope()
  -- a local of a block that has ended is not named (PATCHES.md: local scopes)
  eq(raised("do local a = 1 end local f; f()"), "t:1: attempt to call local 'f' (a nil value)")
  eq(raised("do for i = 1, 2 do end end local t = {} t.nope()"), "t:1: attempt to call field 'nope' (a nil value)")
  eq(raised("do local a, b = 1, 2 end do local c = 3 end local x, y; y()"), "t:1: attempt to call local 'y' (a nil value)")
  local f = loadstring("do local a = 1 end local f = 2; return debug.getlocal(1, 1)", "t")
  local name, value = f()
  eq(name, "f", "debug.getlocal names the local in scope"); eq(value, 2)
end

-- require honours package.path and package.loaders, as in Lua 5.1
-- (PATCHES.md: require), beside netplay's preloaded modules.

function test_require_honours_package_path()
  local base = os.tmpname()
  local file = base .. "_netplaymod.lua"
  local f = assert(io.open(file, "w"))
  f:write("REQUIRED = ...\nreturn {name = ...}\n")
  f:close()
  local oldpath = package.path
  package.path = "/nonexistent/?.lua;" .. base .. "_?.lua"
  local ok, m = pcall(require, "netplaymod")
  package.path = oldpath
  os.remove(file); os.remove(base)
  eq(ok, true, "require found the module: " .. tostring(m))
  eq(m.name, "netplaymod"); eq(REQUIRED, "netplaymod")
  eq(require "netplaymod", m, "loaded once")
  eq(package.loaded.netplaymod, m)
end

function test_require_honours_package_loaders()
  table.insert(package.loaders, 1, function(name)
    if name == "virtual" then return function(n) return {from = n} end end
    return "\n\tno virtual module '" .. name .. "'"
  end)
  eq(require("virtual").from, "virtual", "an added loader")
  package.loaders = {function(name) return function() return "made by " .. name end end}
  eq(require "other", "made by other", "a replaced package.loaders")
  eq(require "socket", socket, "netplay's modules stay")
  eq(require "json", json)
end

-- A chunk with many constants compiles in linear time (PATCHES.md:
-- constants).

-- Compiling 30,000 lines is seconds of work without a wait under the race
-- detector (go test -race, as CI runs it): the busy-task warning may
-- rightly appear, and only it.
local BUSY_WARNING = "^(task 1 \\(main\\) has run [0-9.]+ s without waiting, at [^\n]*; other tasks are stalled\n)*$"

function test_chunk_with_60000_constants()
  EXPECT_STDERR = BUSY_WARNING
  local lines = {"local t = {}"}
  for i = 1, 30000 do lines[#lines + 1] = ("t[%d] = 's%d'"):format(i, i) end
  lines[#lines + 1] = "return t"
  local t = assert(loadstring(table.concat(lines, "\n")))()
  eq(#t, 30000); eq(t[30000], "s30000"); eq(t[1], "s1")
end

-- A table literal of more than 25,550 values keeps them all, wherever it
-- stands (PATCHES.md: SETLIST block numbers).

local function numbers(n)
  local parts = {}
  for i = 1, n do parts[i] = i end
  return table.concat(parts, ",")
end

function test_table_literal_past_25550_values()
  EXPECT_STDERR = BUSY_WARNING
  local list = numbers(30000)
  local cases = {
    {"return {" .. list .. "}", function(t) return t end},
    {"return nil or {" .. list .. "}", function(t) return t end},
    {"local x; return x or {" .. list .. "}", function(t) return t end},
    {"local y = false or {" .. list .. "}; return y", function(t) return t end},
    {"return {k = {" .. list .. "}}", function(t) return t.k end},
    {"local function id(t) return t end return id{" .. list .. "}", function(t) return t end},
  }
  for i, c in ipairs(cases) do
    local t = c[2](assert(loadstring(c[1]))())
    eq(#t, 30000, "case " .. i .. ": #t"); eq(t[25551], 25551, "case " .. i); eq(t[30000], 30000, "case " .. i)
  end
end
