-- A header echo server that hands each connection to its handler with
-- spawn(fn, conn): the form that did not leak before issue 8, kept so
-- that it stays so. hostile_test.go floods it under a 256-fd limit.
--
-- Argument: [host:]port (default 127.0.0.1:0, a port the OS picks).

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:0")))
while true do
  local conn, err = srv:accept()
  if conn then
    spawn(function(c)
      local f = frame.wrap(c, frame.header())
      for m in f:frames() do f:send(m) end
      f:close()
    end, conn)
  else
    print("accept failed: " .. err)
  end
end
