-- Protocols: a key-value store over lines (SET with expiry, GET, DEL, QUIT), tested in scripts/protocols/kv_test.lua
--
--   SET key value [seconds]  ->  OK               (the key expires after seconds)
--   GET key                  ->  VALUE value, or NOT FOUND
--   DEL key                  ->  DELETED, or NOT FOUND
--   QUIT                     ->  BYE, and the server closes the connection
--   anything else            ->  ERROR and what is wrong (the connection stays usable)
--
-- One command a line, one reply a line: a template for a protocol of your
-- own (kv_client.lua speaks it; so does nc). A line is at most 1 KiB: a
-- longer one gets "ERROR line too long" and the connection closes, as the
-- server can no longer tell where the next command starts.
--
-- Argument: [host:]port (default 127.0.0.1:1234).

local MAX_LINE = 1024
local store = {} -- key -> {value = ..., expires = monotonic() time or false}
local usage = {SET = "SET key value [seconds]", GET = "GET key", DEL = "DEL key", QUIT = "QUIT"}

-- live returns key's entry unless it has expired.
local function live(key)
  local entry = store[key]
  if entry and (not entry.expires or monotonic() < entry.expires) then
    return entry
  end
end

-- reply answers one command line, and says whether to close.
local function reply(line)
  local words = {}
  for word in line:gmatch("%S+") do words[#words + 1] = word end
  local cmd, key, value, ttl = words[1], words[2], words[3], words[4]
  if cmd == "SET" and value and #words <= 4 and (not ttl or ttl:match("^%d+$")) then
    store[key] = {value = value, expires = ttl and monotonic() + tonumber(ttl)}
    return "OK"
  elseif cmd == "GET" and #words == 2 then
    local entry = live(key)
    return entry and "VALUE " .. entry.value or "NOT FOUND"
  elseif cmd == "DEL" and #words == 2 then
    local entry = live(key)
    store[key] = nil
    return entry and "DELETED" or "NOT FOUND"
  elseif cmd == "QUIT" and #words == 1 then
    return "BYE", true
  elseif usage[cmd] then
    return "ERROR usage: " .. usage[cmd]
  elseif cmd then
    return "ERROR unknown command " .. cmd
  end
  return "ERROR empty line"
end

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:1234")))
while true do
  local conn = srv:accept()
  if conn then
    spawn(function()
      local f = frame.wrap(conn, frame.line("\n", {max = MAX_LINE}))
      while true do
        local line, err = f:recv()
        if not line then
          if err == "frame too large" then f:send("ERROR line too long") end
          break
        end
        local answer, quit = reply(line)
        f:send(answer)
        if quit then break end
      end
      f:close()
    end)
  end
end
