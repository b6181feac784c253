-- A header echo server that gives each connection a deadline with
-- settimeout: a frame must arrive whole within TIMEOUT seconds (arg[2],
-- default 1) or the connection is closed. hostile_test.go sends it
-- slowloris clients (a byte every 100 ms) and times a good client.
--
-- Arguments: [host:]port (default 127.0.0.1:0, a port the OS picks) and
-- the timeout in seconds.

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:0")))
local TIMEOUT = tonumber(arg[2] or 1)
while true do
  local conn, err = srv:accept()
  if conn then
    spawn(function(c)
      c:settimeout(TIMEOUT)
      local f = frame.wrap(c, frame.header())
      while true do
        local msg = f:recv()
        if not msg or not f:send(msg) then break end
      end
      f:close()
    end, conn)
  else
    print("accept failed: " .. err)
  end
end
