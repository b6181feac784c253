-- A client of bench/pingpong_server for the replay tests: it sends each
-- of its arguments after the first as a line and prints each reply, then
-- ends its side and waits for the server to end its own (so a recording
-- holds the whole exchange, both ends of it).
--
--     netplay run testdata/replay/ping_client.lua ADDR "ping 1" "ping 2"
--
-- Changing one argument ("ping 3" for "ping 2") is a client that sends
-- one different byte; fewer arguments, a client that leaves early.

local addr = socket.address(arg[1])
local f = frame.wrap(assert(socket.connect(addr)), frame.line())
for i = 2, #arg do
  assert(f:send(arg[i]))
  local reply, err = f:recv()
  if not reply then
    print("no reply: " .. err)
    break
  end
  print(reply)
end
f.sock:shutdown("w")
f:recv() -- nil, "closed": the server has seen the end and closed
f:close()
