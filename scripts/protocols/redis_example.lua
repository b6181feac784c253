-- Talk to a real Redis server with protocols/resp.lua: every reply type, a pipeline
--
-- Start a server first (apt-get install redis-server; then redis-server,
-- which listens on 127.0.0.1:6379), then:
--   netplay run protocols/redis_example [host:]port
--
-- Every reply type of RESP2 shows up once: a simple string (OK), an
-- integer (INCR), a bulk string (GET), a null (GET of a missing key), an
-- array (LRANGE), an error (INCR of a word), and a pipeline sends many
-- commands in one write. The keys it makes start with "netplay:example:"
-- and are deleted at the end.
--
-- Argument: [host:]port of the server (default 127.0.0.1:6379).

local resp = require("protocols.resp")

local ADDR = socket.address(arg[1], "127.0.0.1:6379")
local K = "netplay:example:"

local r, err = resp.connect(ADDR, {timeout = 5})
if not r then
  print(("cannot reach redis at %s: %s"):format(ADDR, err))
  return
end

-- show prints a command and what came back, nulls and errors included.
local function show(...)
  local reply, err = r:call(...)
  local shown
  if err then
    shown = "error: " .. err
  elseif type(reply) == "table" then
    local parts = {}
    for i, v in ipairs(reply) do parts[i] = ("%q"):format(tostring(v)) end
    shown = "{" .. table.concat(parts, ", ") .. "}"
  elseif type(reply) == "string" then
    shown = ("%q"):format(reply)
  else
    shown = tostring(reply)
  end
  print(("%-40s -> %s"):format(table.concat({...}, " "), shown))
end

show("DEL", K .. "greeting", K .. "visits", K .. "list")
show("SET", K .. "greeting", "hello, redis")    -- a simple string: "OK"
show("GET", K .. "greeting")                      -- a bulk string
show("GET", K .. "missing")                       -- a null: nil, no error
show("INCR", K .. "visits")                       -- an integer
show("INCR", K .. "visits")
show("RPUSH", K .. "list", "a", "b", "c")
show("LRANGE", K .. "list", 0, -1)                -- an array
show("INCR", K .. "greeting")                     -- an error reply

-- A pipeline: 100 commands in one write, then 100 replies, in one round
-- trip instead of 100.
local cmds = {}
for i = 1, 100 do cmds[i] = {"INCR", K .. "visits"} end
local replies = assert(r:pipeline(cmds))
print(("pipeline of %d INCR: first reply %d, last %d"):format(#replies, replies[1], replies[#replies]))

show("DEL", K .. "greeting", K .. "visits", K .. "list")
r:close()
