testing.virtual_time()

-- A server that sends the time every 3 s, and a client that reads ten
-- ticks: 30 virtual seconds, a few milliseconds of real time, and the
-- same output on every run. It fails on purpose at the end, so the
-- report shows what it printed.

function test_ticks_then_fails()
  local addr = testing.server(function(f)
    local n = 0
    local ticker
    ticker = every(3, function()
      n = n + 1
      f:send(("tick %d at %.6f"):format(n, now()))
    end)
    f.sock:recv(1) -- until the client leaves
    ticker:cancel()
  end, {codec = frame.header()})
  local f = frame.wrap(assert(socket.connect(addr)), frame.header())
  print("connected from " .. f.sock:getsockname() .. " to " .. addr)
  for _ = 1, 10 do
    print(f:recv())
  end
  f:close()
  expect.eq(monotonic(), 30, "ten ticks of 3 s")
  error("failing on purpose, to show the output")
end
