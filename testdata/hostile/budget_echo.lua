-- A header echo server that says why a connection ends: hostile_test.go
-- holds partial 1 MiB frames on hundreds of connections and counts the
-- connections past the budget for buffered input (--max-buffered), which
-- get "memory budget exceeded".
--
-- Argument: [host:]port (default 127.0.0.1:0, a port the OS picks).

local srv = assert(socket.listen(socket.address(arg[1], "127.0.0.1:0")))
while true do
  local conn, err = srv:accept()
  if conn then
    spawn(function(c)
      local f = frame.wrap(c, frame.header())
      while true do
        local msg, rerr = f:recv()
        if not msg then
          if rerr ~= "closed" then print(rerr) end
          break
        end
        f:send(msg)
      end
      f:close()
    end, conn)
  else
    print("accept failed: " .. err)
  end
end
