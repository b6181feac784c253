testing.virtual_time()

-- Every task waits on another and no timer is left: the test fails at
-- once, naming each task and what it waits on.

local function reader(sock)
  return sock:recv(1)
end

function test_everyone_waits()
  local a, b = socket.pair()
  local q = sync.queue()
  spawn(function() q:get() end)
  spawn(reader, b)
  reader(a)
end

function test_after_the_deadlock()
  sleep(1)
end
