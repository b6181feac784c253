testing.virtual_time()

-- Virtual time: the clock jumps to the next deadline as soon as every
-- task waits, so an hour passes at once, and exactly.

function test_sleep_an_hour()
  expect.eq(now(), 1767225600) -- 2026-01-01 00:00:00 UTC, every test
  expect.eq(monotonic(), 0)
  sleep(3600)
  expect.eq(now(), 1767225600 + 3600)
  expect.eq(monotonic(), 3600)
end

function test_equal_deadlines_fire_in_the_order_set()
  local order = {}
  local function note(what) return function() order[#order + 1] = what end end
  after(2, note("after 2 (a)"))
  after(1, note("after 1 (a)"))
  after(1, note("after 1 (b)"))
  local tick
  tick = every(1, function()
    order[#order + 1] = "every 1 at " .. monotonic()
    if monotonic() >= 2 then tick:cancel() end
  end)
  after(2, note("after 2 (b)"))
  sleep(3)
  -- every's second deadline was set at 1 s, after both after(2, ...)
  expect.eq(order, {
    "after 1 (a)", "after 1 (b)", "every 1 at 1",
    "after 2 (a)", "after 2 (b)", "every 1 at 2",
  })
end

function test_read_timeout_fires_at_30_virtual_seconds()
  local a, b = socket.pair()
  a:settimeout(30)
  local data, err = a:recv(10)
  expect.eq({data, err}, {nil, "timeout"})
  expect.eq(monotonic(), 30)
  b:sendall("late")
  expect.eq(a:recv(10), "late")
end

function test_join_and_queue_timeouts()
  local q = sync.queue()
  expect.eq({q:get(5)}, {nil, "timeout"})
  local t = spawn(function() sleep(100) end)
  expect.eq({t:join(10)}, {nil, "timeout"})
  expect.eq(monotonic(), 15)
  t:cancel()
end

function test_bytes_in_flight_keep_the_clock()
  -- The reader waits with a 1 s timeout while the writer sends 1 MiB in
  -- pieces: the clock must not jump while bytes are on their way.
  local a, b = socket.pair()
  local payload = string.rep("x", 1024 * 1024)
  local writer = spawn(function() a:sendall(payload) end)
  b:settimeout(1)
  local got = b:recv_exactly(#payload)
  expect.eq(#got, #payload)
  expect.eq(monotonic(), 0)
  writer:join()
end

function test_outside_addresses_are_refused()
  local c, err = socket.connect("192.0.2.1:80")
  expect.eq(c, nil)
  expect.truthy(err:find("outside the virtual network", 1, true))
end
