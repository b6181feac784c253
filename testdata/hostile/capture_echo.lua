-- A header echo server whose handler captures its connection in a
-- closure: the way copas and OpenResty users write a server, and the one
-- that leaked a socket whenever the handler died (issue 8, item 1).
-- hostile_test.go floods it under a 256-fd limit.
--
-- Argument: [host:]port (default 127.0.0.1:0, a port the OS picks).

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:0")))
while true do
  local conn, err = srv:accept()
  if conn then
    spawn(function()
      local f = frame.wrap(conn, frame.header())
      for m in f:frames() do f:send(m) end
      f:close()
    end)
  else
    print("accept failed: " .. err)
  end
end
