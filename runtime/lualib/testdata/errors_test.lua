-- Error messages as a person reads them: syntax errors in one format,
-- source:line: message, in Lua 5.1's words (PATCHES.md: syntax errors),
-- and a misspelt method of a netplay object named with the nearest real
-- one (PATCHES.md: method hints; runtime/lualib/hint.go).

local T = require("luatest")
local eq = T.eq

-- Syntax errors, as loadstring (and so run, -e, :load, require and the
-- REPL, which all compile through the same parser) reports them.

local function syntax(src)
  local f, err = loadstring(src, "syn.lua")
  assert(f == nil, "compiled: " .. src)
  return err
end

function test_syntax_errors_name_file_and_line()
  local cases = {
    {"x = = 1", "syn.lua:1: syntax error near '='"},
    {"local a = 1\n\nif a then\nelse else end", "syn.lua:4: syntax error near 'else'"},
    {"x y", "syn.lua:1: '=' expected near 'y'"},
    {"x = 0x", "syn.lua:1: malformed number near '0x'"},
    {"x = @", "syn.lua:1: unexpected symbol near '@'"},
    {"x = ~1", "syn.lua:1: unexpected symbol near '~'"},
    {"s = \"abc\ny = 1", "syn.lua:1: unfinished string near '\"abc'"},
    {"for i = 1, 2 do break end break", "syn.lua:1: no loop to break"},
  }
  for i, c in ipairs(cases) do eq(syntax(c[1]), c[2], "case " .. i) end
end

-- What a chunk that ends too soon lacks: the same texts as lua5.1, with
-- near <eof>.
function test_syntax_errors_at_the_end_say_what_is_missing()
  local cases = {
    {"for i=1,2 do\n", "syn.lua:2: 'end' expected (to close 'for' at line 1) near <eof>"},
    {"for i=1,2 do", "syn.lua:1: 'end' expected near <eof>"},
    {"local function f()\n  if x then\n    print(1)\n", "syn.lua:4: 'end' expected (to close 'if' at line 2) near <eof>"},
    {"f(function()\nreturn 1\n", "syn.lua:3: 'end' expected (to close 'function' at line 1) near <eof>"},
    {"while true do\n x()", "syn.lua:2: 'end' expected (to close 'while' at line 1) near <eof>"},
    {"do\n", "syn.lua:2: 'end' expected (to close 'do' at line 1) near <eof>"},
    {"repeat x()", "syn.lua:1: 'until' expected near <eof>"},
    {"repeat\nx()", "syn.lua:2: 'until' expected (to close 'repeat' at line 1) near <eof>"},
    {"f(1", "syn.lua:1: ')' expected near <eof>"},
    {"f(1,\n2", "syn.lua:2: ')' expected (to close '(' at line 1) near <eof>"},
    {"local t = {a=1", "syn.lua:1: '}' expected near <eof>"},
    {"if x", "syn.lua:1: 'then' expected near <eof>"},
    {"while x", "syn.lua:1: 'do' expected near <eof>"},
    {"for i=1,2", "syn.lua:1: 'do' expected near <eof>"},
    {"for i", "syn.lua:1: '=' or 'in' expected near <eof>"},
    {"x =", "syn.lua:1: unexpected symbol near <eof>"},
    {"f(1,", "syn.lua:1: unexpected symbol near <eof>"},
    {"x = 1 +", "syn.lua:1: unexpected symbol near <eof>"},
    {"local", "syn.lua:1: '<name>' expected near <eof>"},
    {"x.", "syn.lua:1: '<name>' expected near <eof>"},
    {"function", "syn.lua:1: '<name>' expected near <eof>"},
    {"x = function", "syn.lua:1: '(' expected near <eof>"},
    {"function f(", "syn.lua:1: <name> or '...' expected near <eof>"},
    {"x", "syn.lua:1: '=' expected near <eof>"},
    {"a, b", "syn.lua:1: '=' expected near <eof>"},
    {"s = \"abc", "syn.lua:1: unfinished string near <eof>"},
    {"s = [[abc\n", "syn.lua:2: unfinished long string near <eof>"},
    {"--[[ c", "syn.lua:1: unfinished long comment near <eof>"},
  }
  for i, c in ipairs(cases) do eq(syntax(c[1]), c[2], "case " .. i .. ": " .. c[1]) end
end

function test_require_reports_syntax_errors_the_same_way()
  local base = os.tmpname()
  os.remove(base)
  local out = assert(io.open(base .. "_broken.lua", "w"))
  out:write("local x = 1\nfor i = 1, 2 do\n")
  out:close()
  local path = package.path
  package.path = base .. "_?.lua"
  local ok, err = pcall(require, "broken")
  package.path = path
  os.remove(base .. "_broken.lua")
  eq(ok, false)
  local want = base .. "_broken.lua:3: 'end' expected (to close 'for' at line 2) near <eof>"
  eq(err:sub(-#want), want, "the module's error, after where require was called")
end

function test_run_and_script_load_report_syntax_errors_the_same_way()
  local base = os.tmpname()
  os.remove(base)
  local path = base .. "_broken.lua"
  local out = assert(io.open(path, "w"))
  out:write("local x = 1\nfor i = 1, 2 do\n")
  out:close()
  local want = path .. ":3: 'end' expected (to close 'for' at line 2) near <eof>"
  local ok, err = pcall(run, path)
  eq(ok, false)
  eq(err:sub(-#want), want, "run")
  local fn, lerr = script.load(path)
  os.remove(path)
  eq(fn, nil)
  eq(lerr, want, "script.load")
end

-- Did you mean: the nearest method of a socket, framed socket, task or
-- timer, when one is close.

local function raised(f)
  local ok, err = pcall(f)
  assert(not ok, "no error")
  return (err:gsub("^[^:]*:%d+: ", ""))
end

function test_misspelt_methods_suggest_the_nearest()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local c = assert(socket.connect(srv:getsockname()))
  local f = frame.wrap(c, frame.line())
  local t = spawn(function() end)
  local tm = after(1000, function() end)
  local cases = {
    {function() c:recieve(8) end, "attempt to call method 'recieve' (a nil value); did you mean recv?"},
    {function() c:receive(8) end, "attempt to call method 'receive' (a nil value); did you mean recv?"},
    {function() c:sned("x") end, "attempt to call method 'sned' (a nil value); did you mean send?"},
    {function() c:Close() end, "attempt to call method 'Close' (a nil value); did you mean close?"},
    {function() c:recvfrm(8) end, "attempt to call method 'recvfrm' (a nil value); did you mean recvfrom?"},
    {function() srv:acept() end, "attempt to call method 'acept' (a nil value); did you mean accept?"},
    {function() f:recieve() end, "attempt to call method 'recieve' (a nil value); did you mean recv?"},
    {function() f:frame() end, "attempt to call method 'frame' (a nil value); did you mean frames?"},
    {function() t:joni() end, "attempt to call method 'joni' (a nil value); did you mean join?"},
    {function() t:stat() end, "attempt to call method 'stat' (a nil value); did you mean status?"},
    {function() tm:cancle() end, "attempt to call method 'cancle' (a nil value); did you mean cancel?"},
  }
  for i, case in ipairs(cases) do eq(raised(case[1]), case[2], "case " .. i) end
  tm:cancel(); f:close(); srv:close()
end

function test_no_suggestion_when_nothing_is_close()
  local c = socket.tcp()
  local cases = {
    {function() c:xyzzy() end, "attempt to call method 'xyzzy' (a nil value)"},
    {function() c:a() end, "attempt to call method 'a' (a nil value)"},
    -- only method calls, only netplay's objects
    {function() c.recieve(c) end, "attempt to call field 'recieve' (a nil value)"},
    {function() ("x"):uper() end, "attempt to call method 'uper' (a nil value)"},
    {function() local t = {recv = print} t:recieve() end, "attempt to call method 'recieve' (a nil value)"},
  }
  for i, case in ipairs(cases) do eq(raised(case[1]), case[2], "case " .. i) end
  c:close()
end

-- table.pack and table.unpack (Lua 5.2's), for code written for later Luas.

function test_table_pack_counts_nils()
  local t = table.pack(1, nil, 3, nil)
  eq(t.n, 4); eq(t[1], 1); eq(t[2], nil); eq(t[3], 3)
  eq(table.pack().n, 0)
end

function test_table_unpack_is_unpack()
  eq(table.unpack, unpack)
  local a, b, c = table.unpack({1, 2, 3}, 2)
  eq(a, 2); eq(b, 3); eq(c, nil)
  eq(select("#", table.unpack({}, 1, 3)), 3)
end
