-- The json module, specified in Lua: each test_* runs on a fresh host
-- (runtime/lualib/json_test.go).

local T = require("luatest")
local eq, raises = T.eq, T.raises

function test_encode_scalars()
  eq(json.encode(nil), "null")
  eq(json.encode(json.null), "null")
  eq(json.encode(true), "true")
  eq(json.encode(false), "false")
  eq(json.encode("hi"), '"hi"')
  eq(json.encode(""), '""')
end

function test_encode_numbers()
  local zero = 0
  assert(1 / -zero < 0, "-zero is -0")
  local cases = {
    {0, "0"}, {-zero, "0"}, {1, "1"}, {-1.5, "-1.5"}, {0.1, "0.1"},
    {1764115200, "1764115200"},
    {1764115200.123456, "1764115200.123456"},
    {1/3, "0.3333333333333333"},
    {2^53, "9007199254740992"},
    {1e20, "100000000000000000000"},
    {1e21, "1e+21"},
    {123456789e20, "1.23456789e+28"},
    {0.000001, "0.000001"},
    {1e-7, "1e-7"},
    {-2.5e-10, "-2.5e-10"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {5e-324, "5e-324"},
  }
  for _, c in ipairs(cases) do eq(json.encode(c[1]), c[2], "encode " .. tostring(c[1])) end
end

function test_encode_strings()
  eq(json.encode('a"b\\c/d'), [["a\"b\\c/d"]])
  eq(json.encode("\n\r\t\b\f"), [["\n\r\t\b\f"]])
  eq(json.encode("\0\1\31 \127"), '"\\u0000\\u0001\\u001f \127"')
  eq(json.encode("é ☃ 😀"), '"é ☃ 😀"', "valid UTF-8 is written as is")
  raises("json: string is not valid UTF-8", json.encode, "\255")
  raises("json: string is not valid UTF-8", json.encode, "\237\160\128") -- a UTF-16 surrogate
  raises("json: string is not valid UTF-8 at .a[2]", json.encode, {a = {"ok", "caf\233"}})
end

function test_arrays_and_objects()
  eq(json.encode({1, 2, 3}), "[1,2,3]")
  eq(json.encode({"a", {true, false}, {}}), '["a",[true,false],{}]')
  eq(json.encode({}), "{}", "an empty table is an object unless marked")
  eq(json.encode({b = 1, a = 2, c = {z = 1, y = 2}}), '{"a":2,"b":1,"c":{"y":2,"z":1}}', "keys sorted")
  eq(json.encode({[1] = "a", [3] = "c"}), '{"1":"a","3":"c"}', "a sparse table is an object")
  eq(json.encode({1, 2, x = 3}), '{"1":1,"2":2,"x":3}')
  eq(json.encode({[1.5] = "x", [-1] = "y", [0] = "z"}), '{"-1":"y","0":"z","1.5":"x"}')
  eq(json.encode({[10] = 1, [9] = 2}), '{"10":1,"9":2}', "number keys sort as the strings they become")
  eq(json.encode({json.null, json.null}), "[null,null]")
  eq(json.encode({a = json.null}), '{"a":null}')
  local shared = {1}
  eq(json.encode({shared, shared}), "[[1],[1]]", "a table seen twice is not a cycle")
end

function test_marks()
  eq(json.encode(json.array({})), "[]")
  eq(json.encode(json.array()), "[]", "json.array() makes a new table")
  eq(json.encode(json.object()), "{}")
  eq(json.encode(json.object({1, 2})), '{"1":1,"2":2}')
  eq(json.encode(json.array({1, nil, 3})), "[1,null,3]", "holes in a marked array are null")
  local t = {}
  eq(json.array(t), t, "marks in place and returns the table")
  eq(json.encode(json.object(t)), "{}", "the last mark wins")
  eq(getmetatable(t).__jsontype, "object")
  -- a table with a metatable of its own is marked through its __jsontype
  local class = {__index = {}, __jsontype = "array"}
  local obj = setmetatable({}, class)
  eq(json.encode(obj), "[]")
  eq(json.array(obj), obj)
  raises([[bad argument #1 to object (table has a metatable of its own: set its __jsontype field to "object")]], json.object, obj)
  raises("bad argument #1 to array (table expected, got number)", json.array, 5)
  raises([[json: array key must be a whole number >= 1, got "x"]], json.encode, json.array({1, x = 2}))
  local sparse = json.array()
  sparse[100] = 1
  raises("json: excessively sparse array (1 values, highest index 100)", json.encode, sparse)
end

function test_decode_values()
  eq(json.decode("1"), 1)
  eq(json.decode(" -1.5e3 "), -1500)
  eq(json.decode('"hi"'), "hi")
  eq(json.decode("true"), true)
  eq(json.decode("false"), false)
  eq(json.decode("null"), json.null)
  local t = json.decode('{"a": [1, 2, {"b": null}], "c": "d", "e": {}}')
  eq(#t.a, 3); eq(t.a[2], 2); eq(t.a[3].b, json.null); eq(t.c, "d")
  eq(next(t.e), nil)
end

function test_decode_null_keeps_array_length()
  local t = json.decode("[1, null, 3, null]")
  eq(#t, 4)
  eq(t[2], json.null); eq(t[4], json.null)
  eq(json.encode(t), "[1,null,3,null]")
  eq(tostring(json.null), "json.null")
end

function test_decoded_tables_reencode_the_same()
  for _, s in ipairs({"[]", "{}", '{"1":1,"2":2}', "[[],{}]", '{"a":[{}]}', '[1,"x",null,true]'}) do
    eq(json.encode(json.decode(s)), s, s)
  end
  local t = json.decode("[]")
  t[1] = "grown"
  eq(json.encode(t), '["grown"]')
end

function test_decode_unicode_escapes()
  eq(json.decode([["\u00e9"]]), "\195\169")
  eq(json.decode([["\u00E9t\u00e9"]]), "été")
  eq(json.decode([["\ud83d\ude00"]]), "\240\159\152\128", "a surrogate pair")
  eq(json.decode([["\ud800"]]), "\239\191\189", "a lone surrogate becomes U+FFFD")
  eq(json.decode([["\"\\\/\b\f\n\r\t"]]), "\"\\/\b\f\n\r\t")
  eq(json.decode('"☃"'), "☃")
  eq(json.encode(json.decode([["\u0001\u00e9"]])), [["\u0001é"]])
end

function test_decode_errors_say_what_and_where()
  local cases = {
    {"[1, x]", "json: invalid character 'x' looking for beginning of value at line 1, column 5"},
    {"", "json: unexpected end of JSON input at line 1, column 1"},
    {"[1,", "json: unexpected end of JSON input at line 1, column 4"},
    {"nul", "json: unexpected end of JSON input at line 1, column 4"},
    {"1 2", "json: invalid character '2' after top-level value at line 1, column 3"},
    {'{"a" 1}', "json: invalid character '1' after object key at line 1, column 6"},
    {'{"a":1,}', "json: invalid character '}' looking for beginning of object key string at line 1, column 8"},
    {"{\n  \"a\": x\n}", "json: invalid character 'x' looking for beginning of value at line 2, column 8"},
    {'["é", x]', "json: invalid character 'x' looking for beginning of value at line 1, column 7"},
    {"nul ", "json: invalid character ' ' in literal null (expecting 'l') at line 1, column 4"},
    {"1e400", "json: number 1e400 is out of range at line 1, column 1"},
    {"[0, -1e999]", "json: number -1e999 is out of range at line 1, column 5"},
  }
  for _, c in ipairs(cases) do
    local v, err = json.decode(c[1])
    eq(v, nil, ("decode(%q)"):format(c[1]))
    eq(err, c[2], ("decode(%q) error"):format(c[1]))
  end
end

function test_encode_errors()
  local t = {}
  t.self = t
  raises("json: cycle detected at .self", json.encode, t)
  local a = {}
  a[1] = {a}
  raises("json: cycle detected at [1][1]", json.encode, a)
  raises("json: cannot encode function value", json.encode, print)
  raises("json: cannot encode function value at .on_hit", json.encode, {on_hit = print})
  raises([[json: cannot encode function value at ["a b"][2].f]], json.encode, {["a b"] = {1, {f = print}}})
  raises("json: cannot encode userdata value", json.encode, task.current())
  raises("json: cannot encode thread value", json.encode, coroutine.create(print))
  raises("json: cannot encode NaN", json.encode, 0/0)
  raises("json: cannot encode inf", json.encode, (1/0))
  raises("json: cannot encode -inf at [1]", json.encode, {-(1/0)})
  raises("json: object key: cannot encode inf", json.encode, {[(1/0)] = 1})
  raises("json: object key must be a string or a number, got boolean", json.encode, {[true] = 1})
  raises("json: object key must be a string or a number, got table at .t", json.encode, {t = {[{}] = 1}})
  raises("json: object key is not valid UTF-8", json.encode, {["\255"] = 1})
  raises([[json: duplicate key "1" (a string and a number key)]], json.encode, {[1] = "a", ["1"] = "b"})
end

function test_misuse_raises()
  raises("bad argument #1 to decode (string expected, got nil)", json.decode)
  raises("bad argument #1 to decode (string expected, got table)", json.decode, {})
  raises("bad argument #2 to encode (table expected, got number)", json.encode, 1, 5)
  raises([[bad argument #2 to encode (unknown option "pretty")]], json.encode, 1, {pretty = true})
  raises("bad argument #2 to encode (indent must be spaces and tabs)", json.encode, 1, {indent = "x"})
  raises("bad argument #2 to encode (indent must be a whole number of spaces from 0 to 16)", json.encode, 1, {indent = 1.5})
end

function test_nesting_bound()
  local ok = ("["):rep(1000) .. ("]"):rep(1000)
  eq(json.encode(json.decode(ok)), ok, "1000 levels")
  local v, err = json.decode(("["):rep(1001) .. ("]"):rep(1001))
  eq(v, nil)
  eq(err, "json: nesting deeper than 1000 levels at line 1, column 1001")
  v, err = json.decode(("["):rep(100000))
  eq(err, "json: nesting deeper than 1000 levels at line 1, column 1001", "far deeper, unfinished")
  v, err = json.decode(('{"a":'):rep(1001) .. "1" .. ("}"):rep(1001))
  eq(err, "json: nesting deeper than 1000 levels at line 1, column 5001")

  local deep = {}
  local t = deep
  for _ = 2, 1000 do t[1] = {}; t = t[1] end
  t[1] = nil
  eq(json.encode(json.array(t) and deep), ok)
  t[1] = {}
  local ok2, err2 = pcall(json.encode, deep)
  eq(ok2, false)
  assert(err2:match("json: nesting deeper than 1000 levels at %[1%]%[1%]"), err2)
  assert(#err2 < 200, "the path is shortened: " .. #err2 .. " bytes")
end

function test_large_numbers()
  eq(json.decode("9007199254740993"), 2^53, "integers above 2^53 round")
  eq(json.decode("12345678901234567890"), 12345678901234567890)
  eq(json.encode(json.decode("12345678901234567890")), "12345678901234567000")
  eq(json.decode("-9223372036854775808"), -2^63)
  eq(json.decode("1e-400"), 0, "underflow is zero")
  eq(json.decode("1.7976931348623157e308"), 1.7976931348623157e308)
end

function test_pretty()
  eq(json.encode({b = {1, 2}, a = {}, c = json.array()}, {indent = "  "}),
    '{\n  "a": {},\n  "b": [\n    1,\n    2\n  ],\n  "c": []\n}')
  eq(json.encode({x = 1}, {indent = 2}), '{\n  "x": 1\n}')
  eq(json.encode({x = 1}, {indent = "\t"}), '{\n\t"x": 1\n}')
  eq(json.encode({x = 1}, {indent = ""}), '{"x":1}')
  eq(json.encode("s", {indent = " "}), '"s"')
end

function test_null_is_one_value_across_tasks()
  local t = spawn(function() return json.decode("null") end)
  eq(t:join(), json.null)
  eq(require("json"), json)
end
