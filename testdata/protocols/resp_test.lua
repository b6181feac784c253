-- protocols/resp.lua against a real redis-server that the Go test starts
-- (protocols_test.go sets REDIS_ADDR). Each test starts from an empty
-- database.

local T = require("luatest")
local eq = T.eq

local resp

local function connect()
  resp = require("protocols.resp")
  local r = assert(resp.connect(REDIS_ADDR, {timeout = 10}))
  assert(r:call("FLUSHALL") == "OK")
  return r
end

function test_simple_strings_and_errors()
  local r = connect()
  eq(r:call("PING"), "PONG", "a simple string")
  eq(r:call("SET", "k", "v"), "OK")
  local v, err = r:call("NOSUCHCOMMAND", "x")
  eq(v, nil)
  eq(err, "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ", "a Redis error is nil, the message")
  v, err = r:call("INCR", "k")
  eq(v, nil); eq(err, "ERR value is not an integer or out of range")
  r:call("RPUSH", "list", "a")
  v, err = r:call("GET", "list")
  eq(err, "WRONGTYPE Operation against a key holding the wrong kind of value")
  eq(r:call("PING"), "PONG", "an error reply leaves the connection usable")
  r:close()
end

function test_integers()
  local r = connect()
  eq(r:call("INCR", "n"), 1)
  eq(r:call("INCRBY", "n", 41), 42)
  eq(r:call("DECRBY", "n", 50), -8, "negative")
  eq(r:call("INCRBY", "big", 9007199254740992), 9007199254740992, "2^53")
  eq(r:call("EXISTS", "n", "nothing"), 1)
  r:close()
end

function test_bulk_strings_are_binary_safe()
  local r = connect()
  local weird = "line1\r\nline2\0end\255" .. string.rep("x", 100000)
  eq(r:call("SET", "bin", weird), "OK")
  eq(r:call("GET", "bin"), weird, "CR, LF, NUL and 0xff round trip")
  eq(r:call("SET", "empty", ""), "OK")
  eq(r:call("GET", "empty"), "", "an empty bulk string")
  eq(r:call("SET", "num", 1.5), "OK")
  eq(r:call("GET", "num"), "1.5", "numbers are sent as tostring writes them")
  r:close()
end

function test_nulls()
  local r = connect()
  local v, err = r:call("GET", "missing")
  eq(v, nil); eq(err, nil, "a null bulk string is nil without an error")
  eq(select("#", r:call("GET", "missing")), 1)
  v, err = r:call("BLPOP", "nolist", "0.01")
  eq(v, nil); eq(err, nil, "a null array (BLPOP timed out)")
  r:call("SET", "a", "1")
  local list = r:call("MGET", "a", "missing", "a")
  eq(#list, 3, "a null inside an array keeps its place")
  eq(list[1], "1"); eq(list[2], resp.null); eq(list[3], "1")
  eq(tostring(resp.null), "resp.null")
  r:close()
end

function test_arrays_empty_and_nested()
  local r = connect()
  eq(r:call("RPUSH", "l", "a", "b", "c"), 3)
  local l = r:call("LRANGE", "l", 0, -1)
  eq(#l, 3); eq(l[1], "a"); eq(l[3], "c")
  local empty = r:call("LRANGE", "nothing", 0, -1)
  eq(type(empty), "table"); eq(#empty, 0, "an empty array")
  -- XRANGE: entries are {id, {field, value, ...}}
  local id = r:call("XADD", "s", "1-1", "f", "v", "g", "w")
  eq(id, "1-1")
  local entries = r:call("XRANGE", "s", "-", "+")
  eq(#entries, 1); eq(entries[1][1], "1-1")
  eq(entries[1][2][1], "f"); eq(entries[1][2][4], "w", "an array in an array in an array")
  -- MULTI/EXEC: the replies of a transaction, an error among them
  eq(r:call("MULTI"), "OK")
  eq(r:call("SET", "t", "word"), "QUEUED")
  eq(r:call("INCR", "t"), "QUEUED")
  eq(r:call("LRANGE", "l", 0, 0), "QUEUED")
  local res = r:call("EXEC")
  eq(res[1], "OK")
  eq(resp.iserror(res[2]), true, "an error inside an array is an error table")
  eq(res[2].err, "ERR value is not an integer or out of range")
  eq(tostring(res[2]), "ERR value is not an integer or out of range")
  eq(res[3][1], "a", "a nested array")
  r:close()
end

function test_pipeline_of_1000()
  local r = connect()
  local cmds = {}
  for i = 1, 1000 do cmds[i] = {"INCR", "counter"} end
  local replies = assert(r:pipeline(cmds))
  eq(#replies, 1000)
  for i = 1, 1000 do eq(replies[i], i, "reply " .. i) end
  eq(r:call("GET", "counter"), "1000")
end

function test_pipeline_with_errors_and_nulls()
  local r = connect()
  local replies = assert(r:pipeline({
    {"SET", "a", "x"}, {"INCR", "a"}, {"GET", "nothing"}, {"GET", "a"}, {"NOPE"},
  }))
  eq(#replies, 5)
  eq(replies[1], "OK")
  eq(resp.iserror(replies[2]), true); eq(replies[2].err, "ERR value is not an integer or out of range")
  eq(replies[3], resp.null)
  eq(replies[4], "x")
  eq(replies[5].err, "ERR unknown command 'NOPE', with args beginning with: ")
  r:close()
end

function test_pipeline_of_5000_sets()
  local r = connect()
  local cmds = {}
  local value = string.rep("v", 100)
  for i = 1, 5000 do cmds[i] = {"SET", "k" .. i, value} end
  local replies = assert(r:pipeline(cmds))
  eq(#replies, 5000); eq(replies[5000], "OK")
  eq(r:call("DBSIZE"), 5000)
  eq(r:call("GET", "k5000"), value)
  r:close()
end

-- The codec: resp.codec() over a raw socket; f:recv() returns whole
-- replies already parsed (a structured codec).
function test_codec_over_a_raw_socket()
  resp = require("protocols.resp")
  local s = assert(socket.connect(REDIS_ADDR))
  local f = frame.wrap(s, resp.codec())
  assert(f:send("FLUSHALL"))
  eq(f:recv(), "OK")
  assert(f:send("RPUSH l x y"))
  eq(f:recv(), 2)
  assert(f:send("LRANGE l 0 -1"))
  local l = f:recv()
  eq(type(l), "table"); eq(l[1], "x"); eq(l[2], "y")
  assert(f:send("GET missing"))
  eq(f:recv(), resp.null)
  assert(f:send("NOPE"))
  local e = f:recv()
  eq(resp.iserror(e), true)
  s:close()
end

function test_closed_connection()
  local r = connect()
  r:close()
  local v, err = r:call("PING")
  eq(v, nil); eq(err, "closed")
  v, err = r:pipeline({{"PING"}})
  eq(v, nil); eq(err, "closed")
end

function test_bad_arguments_raise()
  local r = connect()
  T.raises("resp: argument 2 of the command is a boolean, not a string or a number", function() r:call("SET", true) end)
  T.raises("resp: argument 3 of the command is nil, not a string or a number", function() r:call("SET", "k", nil) end)
  T.raises("resp: empty command", function() r:call() end)
  eq(r:call("PING"), "PONG", "nothing was sent")
  r:close()
end
