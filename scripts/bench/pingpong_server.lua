-- Bench: a line protocol to load-test with a script: "ping N" gets "pong N"
--
-- A server that is not an echo, for netplay bench --script (see the
-- README's "Load-testing your server" and testdata/bench/pingpong.lua):
-- every line "ping N" is answered with "pong N"; anything else with
-- "error: expected ping N".
--
--     netplay run bench/pingpong_server 5556
--     netplay bench 5556 --codec line --script testdata/bench/pingpong.lua
--
-- Argument: [host:]port (default 127.0.0.1:1234).

local addr = socket.address(arg[1], "127.0.0.1:1234")
local srv = assert(socket.listen(addr, 1024))
while true do
  local conn = srv:accept()
  if conn then
    spawn(function()
      local f = frame.wrap(conn, frame.line())
      for line in f:frames() do
        local n = line:match("^ping (%d+)$")
        f:send(n and ("pong " .. n) or "error: expected ping N")
      end
      f:close()
    end)
  else
    sleep(0.01)
  end
end
