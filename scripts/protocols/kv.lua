-- Module require("protocols.kv"): a key-value line protocol, both halves; the template for your own
--
-- One command per line, one reply line for each:
--
--   SET key value    OK                  value: the rest of the line, spaces and all
--   GET key          VALUE value         or NOT_FOUND
--   DEL key          DELETED             or NOT_FOUND
--   QUIT             BYE                 and the server closes the connection
--   anything else    ERR what is wrong   the connection stays usable
--
-- Commands are case-insensitive; keys are 1 to 250 bytes without spaces;
-- a line is at most 64 KiB and ends with "\n" (a "\r" before it is
-- dropped, so telnet and nc -C work too). A longer line gets
-- "ERR line too long" and the connection closes: the server cannot tell
-- where the next command starts.
--
-- To write your own protocol, copy kv.lua, kv_server.lua, kv_client.lua
-- and kv_test.lua into a folder, rename, and change kv.handle: the scripts
-- find kv.lua next to them (require("kv")), and kv_test.lua checks it.
-- The parts:
--
--   kv.handle(line, store) -> reply, quit    the protocol itself: no sockets,
--                                            so it is tested with plain calls
--   kv.serve_client(sock, store[, log])      one connection: lines in, replies out
--   kv.serve(listener, store[, log])         accept connections, a task each
--   kv.connect(addr[, timeout]) -> client    client:set(k, v) client:get(k)
--                                            client:del(k) client:command(line)
--                                            client:quit()

local kv = {}

kv.MAX_LINE = 64 * 1024
kv.MAX_KEY = 250

-- check_key returns an error reply for a bad key, or nil.
local function check_key(key)
  if #key > kv.MAX_KEY then return ("ERR key longer than %d bytes"):format(kv.MAX_KEY) end
end

-- commands: name -> {usage, pattern of its arguments, function}
local commands = {
  SET = {"SET key value", "^(%S+) (.*)$", function(store, key, value)
    store[key] = value
    return "OK"
  end},
  GET = {"GET key", "^(%S+)%s*$", function(store, key)
    if store[key] == nil then return "NOT_FOUND" end
    return "VALUE " .. store[key]
  end},
  DEL = {"DEL key", "^(%S+)%s*$", function(store, key)
    if store[key] == nil then return "NOT_FOUND" end
    store[key] = nil
    return "DELETED"
  end},
}

-- kv.handle runs one command line against store (a table) and returns
-- the reply line, and true when the connection should close.
function kv.handle(line, store)
  local name, args = line:match("^%s*(%S+) ?(.*)$")
  if not name then return "ERR empty command" end
  name = name:upper()
  if name == "QUIT" then
    if args:find("%S") then return "ERR usage: QUIT" end
    return "BYE", true
  end
  local cmd = commands[name]
  if not cmd then return ("ERR unknown command %q"):format(name) end
  local usage, pattern, run = cmd[1], cmd[2], cmd[3]
  local key, value = args:match(pattern)
  if not key then return "ERR usage: " .. usage end
  local bad = check_key(key)
  if bad then return bad end
  return run(store, key, value)
end

-- kv.serve_client answers the commands of one connection until QUIT or
-- the end of the stream. log (print, say) hears what happens.
function kv.serve_client(sock, store, log)
  log = log or function() end
  local peer = sock:getpeername()
  local f = frame.wrap(sock, frame.line("\n", {max = kv.MAX_LINE}))
  local count = 0
  while true do
    local line, err = f:recv()
    if not line then
      if err == "frame too large" then
        f:send("ERR line too long")
        log(("%s: line too long, closing"):format(peer))
      else
        log(("%s: left after %d commands"):format(peer, count))
      end
      break
    end
    count = count + 1
    local reply, quit = kv.handle(line, store)
    if not f:send(reply) then break end
    if quit then
      log(("%s: quit after %d commands"):format(peer, count))
      break
    end
  end
  sock:close()
end

-- kv.serve accepts connections on listener for ever, each served in its
-- own task; every client shares store. No lock: a task runs without
-- interruption between two waits, and handle never waits.
function kv.serve(listener, store, log)
  while true do
    local sock, peer = listener:accept()
    if not sock then return nil, peer end
    if log then log(("%s: connected"):format(peer)) end
    spawn(kv.serve_client, sock, store, log)
  end
end

local Client = {}
Client.__index = Client

-- kv.connect(addr[, timeout]) -> client | nil, err.
function kv.connect(addr, timeout)
  local sock, err = socket.connect(addr, timeout)
  if not sock then return nil, err end
  if timeout then sock:settimeout(timeout) end
  return setmetatable({sock = sock, f = frame.wrap(sock, frame.line("\n", {max = kv.MAX_LINE}))}, Client)
end

-- client:command(line) -> the reply line | nil, err.
function Client:command(line)
  if line:find("[\r\n]") then error("kv: a command is one line", 2) end
  local ok, err = self.f:send(line)
  if not ok then return nil, err end
  return self.f:recv()
end

-- reply splits a reply into what a caller wants: the value, or nil, err.
local function expect(reply, err, want)
  if not reply then return nil, err end
  if reply:sub(1, 4) == "ERR " then return nil, reply:sub(5) end
  return want(reply)
end

-- client:set(key, value) -> true | nil, err
function Client:set(key, value)
  local reply, err = self:command(("SET %s %s"):format(key, value))
  return expect(reply, err, function(r) return r == "OK" end)
end

-- client:get(key) -> value | nil (no such key) | nil, err
function Client:get(key)
  local reply, err = self:command("GET " .. key)
  return expect(reply, err, function(r)
    if r == "NOT_FOUND" then return nil end
    return r:match("^VALUE (.*)$")
  end)
end

-- client:del(key) -> true (deleted) | false (no such key) | nil, err
function Client:del(key)
  local reply, err = self:command("DEL " .. key)
  return expect(reply, err, function(r) return r == "DELETED" end)
end

-- client:quit(): says goodbye and closes.
function Client:quit()
  self:command("QUIT")
  self.sock:close()
end

return kv
