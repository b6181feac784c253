-- RESP without a server: resp.decode on every reply type and on every
-- prefix of them (need more), and resp.codec over a socket written one
-- byte at a time (protocols_test.go).

local T = require("luatest")
local eq = T.eq

-- show renders a decoded reply in one line, to compare.
local function show(v)
  local resp = require("protocols.resp")
  if v == resp.null then return "null" end
  if resp.iserror(v) then return "error(" .. v.err .. ")" end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = show(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

local cases = {
  {"+OK\r\n", '"OK"'},
  {"+\r\n", '""'},
  {"-ERR bad thing\r\n", "error(ERR bad thing)"},
  {":0\r\n", "0"},
  {":-42\r\n", "-42"},
  {":9007199254740992\r\n", "9007199254740992"},
  {"$5\r\nhello\r\n", '"hello"'},
  {"$0\r\n\r\n", '""'},
  {"$4\r\na\r\nb\r\n", [["a\r\nb"]]},
  {"$-1\r\n", "null"},
  {"*-1\r\n", "null"},
  {"*0\r\n", "[]"},
  {"*3\r\n:1\r\n$1\r\na\r\n*2\r\n+x\r\n$-1\r\n", '[1,"a",["x",null]]'},
  {"*2\r\n-WRONGTYPE no\r\n:7\r\n", "[error(WRONGTYPE no),7]"},
}

function test_decode_every_type()
  local resp = require("protocols.resp")
  for _, c in ipairs(cases) do
    local v, used = resp.decode(c[1] .. "+next\r\n")
    eq(show(v), c[2], ("%q"):format(c[1]))
    eq(used, #c[1], "used, for " .. ("%q"):format(c[1]))
  end
end

function test_every_prefix_needs_more()
  local resp = require("protocols.resp")
  for _, c in ipairs(cases) do
    for n = 0, #c[1] - 1 do
      local v, err = resp.decode(c[1]:sub(1, n))
      if v ~= nil or err ~= nil then
        error(("prefix %q of %q: got %s, %s; want need more"):format(c[1]:sub(1, n), c[1], show(v), tostring(err)))
      end
    end
  end
end

function test_decode_errors()
  local resp = require("protocols.resp")
  local bad = {
    {"?x\r\n", 'bad reply: unknown type byte "?"'},
    {":1.5\r\n", 'bad reply: integer "1.5"'},
    {"$abc\r\n", 'bad reply: bulk length "abc"'},
    {"*-2\r\n", 'bad reply: array length "-2"'},
    {"$2\r\nabcd", "bad reply: bulk string of 2 bytes not followed by \\r\\n"},
    {string.rep("*1\r\n", 65) .. ":1\r\n", "bad reply: arrays nested deeper than 64"},
    {"+" .. string.rep("x", 70000), "bad reply: line longer than 65536 bytes"},
  }
  for _, c in ipairs(bad) do
    local v, err = resp.decode(c[1])
    eq(v, nil); eq(err, c[2], ("%q"):format(c[1]:sub(1, 20)))
  end
  local v, err = resp.decode("$100\r\n", 10)
  eq(err, "bad reply: bulk string of 100 bytes is over the maximum of 10")
end

function test_encode()
  local resp = require("protocols.resp")
  eq(resp.encode({"SET", "k", "a b\r\n"}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na b\r\n\r\n")
  eq(resp.encode({"INCRBY", "n", 5}), "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$1\r\n5\r\n")
end

-- The codec over a socket, the replies arriving one byte at a time: each
-- f:recv() returns one whole, parsed reply.
function test_codec_over_a_split_stream()
  local resp = require("protocols.resp")
  local c, s = T.pair()
  local all = {}
  for i, case in ipairs(cases) do all[i] = case[1] end
  local bytes = table.concat(all)
  local writer = spawn(function()
    for i = 1, #bytes do
      s:sendall(bytes:sub(i, i))
      if i % 7 == 0 then sleep(0) end
    end
    s:close()
  end)
  local f = frame.wrap(c, resp.codec())
  for _, case in ipairs(cases) do
    eq(show(f:recv()), case[2])
  end
  local v, err, partial = f:recv()
  eq(v, nil); eq(err, "closed"); eq(partial, "")
  writer:join()
  -- and the codec's encode: words to a command
  local c2, s2 = T.pair()
  assert(frame.wrap(c2, resp.codec()):send("SET greeting hi"))
  eq(s2:recv(100), "*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$2\r\nhi\r\n")
end
