-- A kv client: commands from the command line, or typed one a line; prints the replies
--
--   netplay run protocols/kv_client 7000 SET greeting hello world
--   OK
--   netplay run protocols/kv_client 7000          (then type commands;
--   GET greeting                                   Ctrl-D or QUIT ends)
--   VALUE hello world
--
-- Arguments: [host:]port of protocols/kv_server (default 127.0.0.1:1234),
-- then optionally one command as words.

local kv = require("kv")

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local client = assert(kv.connect(ADDR, 10))

-- ask sends one command line and prints the reply; false when done.
local function ask(line)
  local reply, err = client:command(line)
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
client.sock:close()
