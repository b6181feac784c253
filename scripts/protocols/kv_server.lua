-- Protocols: a key-value store over lines (SET with expiry, GET), tested in scripts/protocols/kv_test.lua
--
--   SET key value [seconds]  ->  OK               (the key expires after seconds)
--   GET key                  ->  VALUE value, or NOT FOUND
--   anything else            ->  ERROR bad command
--
-- Argument: [host:]port (default 127.0.0.1:1234).

local store = {} -- key -> {value = ..., expires = monotonic() time or false}

local function reply(line)
  local cmd, key, value, ttl = line:match("^(%u+) (%S+) ?(%S*) ?(%d*)$")
  if cmd == "SET" and value ~= "" then
    store[key] = {value = value, expires = ttl ~= "" and monotonic() + tonumber(ttl)}
    return "OK"
  elseif cmd == "GET" and value == "" then
    local entry = store[key]
    if entry and (not entry.expires or monotonic() < entry.expires) then
      return "VALUE " .. entry.value
    end
    return "NOT FOUND"
  end
  return "ERROR bad command"
end

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:1234")))
while true do
  local conn = srv:accept()
  if conn then
    spawn(function()
      local f = frame.wrap(conn, frame.line())
      while true do
        local line = f:recv()
        if not line then break end
        f:send(reply(line))
      end
      f:close()
    end)
  end
end
