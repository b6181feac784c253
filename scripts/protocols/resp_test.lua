-- resp.lua, redis_example.lua and redis_bench.lua, tested without Redis
-- (netplay test scripts/protocols/resp_test.lua): the test runs a small
-- Redis of its own, which reads commands with resp.codec() (a structured
-- codec: each f:recv() is a parsed command table) and answers the few
-- commands the scripts use. The Go tests run the client against a real
-- redis-server too.

local resp = run("resp.lua") -- the module beside this file

-- answer runs one command against store and returns the reply's bytes.
local function answer(store, cmd)
  local name, key = tostring(cmd[1]):upper(), cmd[2]
  local function bulk(s) return "$" .. #s .. "\r\n" .. s .. "\r\n" end
  if name == "PING" then
    return "+PONG\r\n"
  elseif name == "SET" then
    store[key] = cmd[3]
    return "+OK\r\n"
  elseif name == "GET" then
    local v = store[key]
    if v == nil then return "$-1\r\n" end
    if type(v) ~= "string" then return "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" end
    return bulk(v)
  elseif name == "DEL" then
    local n = 0
    for i = 2, #cmd do
      if store[cmd[i]] ~= nil then n, store[cmd[i]] = n + 1, nil end
    end
    return ":" .. n .. "\r\n"
  elseif name == "INCR" then
    local n = tonumber(store[key] or "0")
    if type(store[key]) == "table" or not n or n % 1 ~= 0 then
      return "-ERR value is not an integer or out of range\r\n"
    end
    store[key] = tostring(n + 1)
    return ":" .. (n + 1) .. "\r\n"
  elseif name == "RPUSH" then
    store[key] = store[key] or {}
    for i = 3, #cmd do table.insert(store[key], cmd[i]) end
    return ":" .. #store[key] .. "\r\n"
  elseif name == "LRANGE" then
    local parts = {"*" .. #(store[key] or {}) .. "\r\n"}
    for _, v in ipairs(store[key] or {}) do parts[#parts + 1] = bulk(v) end
    return table.concat(parts)
  end
  return ("-ERR unknown command '%s', with args beginning with: \r\n"):format(cmd[1])
end

-- fake_redis listens on a free port until the end of the test.
local function fake_redis()
  local store = {}
  return testing.server(function(conn)
    local f = frame.wrap(conn, resp.codec())
    while true do
      local cmd = f:recv()
      if not cmd then break end
      conn:sendall(answer(store, cmd))
    end
    conn:close()
  end)
end

function test_call_every_reply_type()
  local r = assert(resp.connect(fake_redis(), {timeout = 5}))
  expect.eq(r:call("PING"), "PONG")
  expect.eq(r:call("SET", "k", "hello\r\nworld"), "OK")
  expect.eq(r:call("GET", "k"), "hello\r\nworld")
  expect.eq(select("#", r:call("GET", "missing")), 1, "a null is nil alone")
  expect.eq(r:call("INCR", "n"), 1)
  expect.eq(r:call("RPUSH", "l", "a", "b"), 2)
  expect.eq(r:call("LRANGE", "l", 0, -1), {"a", "b"})
  local v, err = r:call("INCR", "k")
  expect.eq(v, nil)
  expect.eq(err, "ERR value is not an integer or out of range")
  expect.eq(r:call("PING"), "PONG", "still in step after an error")
  r:close()
  v, err = r:call("PING")
  expect.eq(err, "closed")
end

function test_pipeline_of_1000()
  local r = assert(resp.connect(fake_redis(), {timeout = 5}))
  local cmds = {}
  for i = 1, 1000 do cmds[i] = {"INCR", "counter"} end
  cmds[1001] = {"GET", "nothing"}
  cmds[1002] = {"NOPE"}
  local replies = assert(r:pipeline(cmds))
  expect.eq(#replies, 1002)
  for i = 1, 1000 do expect.eq(replies[i], i) end
  expect.eq(replies[1001], resp.null)
  expect.truthy(resp.iserror(replies[1002]))
  expect.eq(replies[1002].err, "ERR unknown command 'NOPE', with args beginning with: ")
  r:close()
end

function test_a_server_that_closes_mid_reply()
  local addr = testing.server(function(conn)
    conn:recv(100)
    conn:sendall("$10\r\nhel")
    conn:close()
  end)
  local r = assert(resp.connect(addr, {timeout = 5}))
  local v, err = r:call("GET", "k")
  expect.eq(v, nil)
  expect.eq(err, "closed")
end

function test_redis_example_script()
  run("redis_example.lua", fake_redis())
  expect.eq(testing.output(), [[
DEL netplay:example:greeting netplay:example:visits netplay:example:list -> 0
SET netplay:example:greeting hello, redis -> "OK"
GET netplay:example:greeting             -> "hello, redis"
GET netplay:example:missing              -> nil
INCR netplay:example:visits              -> 1
INCR netplay:example:visits              -> 2
RPUSH netplay:example:list a b c         -> 3
LRANGE netplay:example:list 0 -1         -> {"a", "b", "c"}
INCR netplay:example:greeting            -> error: ERR value is not an integer or out of range
pipeline of 100 INCR: first reply 3, last 102
DEL netplay:example:greeting netplay:example:visits netplay:example:list -> 3
]])
end

function test_redis_bench_script()
  run("redis_bench.lua", fake_redis(), "200")
  local out = testing.output()
  local r1, r2 = out:match("^200 INCR one by one: %d+%.%d ms %((.-)%)\n200 INCR pipelined:  %d+%.%d ms %((.-)%)\n$")
  for _, r in ipairs({r1 or "", r2 or ""}) do -- real time, or netplay test --virtual-time
    expect.truthy(r:match("^%d+ requests/s$") or r == "no time passed", out)
  end
end
