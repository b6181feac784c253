-- Bench: the reference echo server for netplay bench (10-byte header framing, a task per connection)
--
-- What a netplay user would write, and what netplay bench measures by
-- default: each connection gets a task that receives a frame and sends it
-- back until the peer leaves. The same as the benchmark harness's
-- servers/netplay_echo.lua.
--
--     netplay run bench/echo_server 5555
--     netplay bench 5555
--
-- Argument: [host:]port (default 127.0.0.1:1234).

local addr = socket.address(arg[1], "127.0.0.1:1234")
local srv = assert(socket.listen(addr, 1024))
while true do
  local conn, err = srv:accept()
  if conn then
    spawn(function()
      local f = frame.wrap(conn, frame.header(10))
      while true do
        local msg = f:recv()
        if not msg then break end
        f:send(msg)
      end
      f:close()
    end)
  else
    sleep(0.01)
  end
end
