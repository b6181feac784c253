-- Protocols: a client for kv_server: one command from the command line, or one a line as you type; prints each reply
--
--   netplay run protocols/kv_client 7000 SET greeting hello
--   OK
--   netplay run protocols/kv_client 7000        (then type commands;
--   GET greeting                                 Ctrl-D or QUIT ends)
--   VALUE hello
--
-- Arguments: [host:]port of protocols/kv_server (default
-- 127.0.0.1:1234), then optionally one command as words.

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local TIMEOUT = 10 -- seconds to wait for the server, and for each reply

local sock = assert(socket.connect(ADDR, TIMEOUT))
sock:settimeout(TIMEOUT)
local f = frame.wrap(sock, frame.line())

-- ask sends one command and prints the reply; false when the
-- conversation is over.
local function ask(line)
  local ok, err = f:send(line)
  local reply
  if ok then reply, err = f:recv() end
  if not reply then
    print("(connection " .. err .. ")")
    return false
  end
  print(reply)
  return reply ~= "BYE"
end

if arg[2] then
  ask(table.concat(arg, " ", 2))
else
  for line in io.lines() do
    if not ask(line) then break end
  end
end
f:close()
