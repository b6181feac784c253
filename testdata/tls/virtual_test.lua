-- TLS over the virtual network: the handshake and every wait follow the
-- virtual clock, so a peer that sleeps costs no wall time.
testing.virtual_time()

local function server(handler)
  local l = assert(socket.listen("127.0.0.1:0", {tls = {selfsigned = true}}))
  local t = spawn(function()
    local c = assert(l:accept())
    handler(c)
    c:close()
  end)
  testing.cleanup(function() t:cancel(); l:close() end)
  return l:getsockname()
end

function test_echo()
  local addr = server(function(c) c:send(c:recv(5)) end)
  local c = assert(socket.connect(addr, {tls = {insecure = true}, timeout = 5}))
  expect.eq(c:tlsinfo().version, "TLS 1.3")
  assert(c:send("hello"))
  expect.eq(c:recv(5), "hello")
  expect.eq(now(), 1767225600)
end

-- late_peer connects to a peer that answers "late" 10 s after a byte.
local function late_peer()
  local addr = server(function(c)
    c:recv(1)
    sleep(10)
    c:send("late")
  end)
  return assert(socket.connect(addr, {tls = {insecure = true}, timeout = 5}))
end

function test_a_peer_that_sleeps_within_the_timeout()
  local c = late_peer()
  c:settimeout(30)
  assert(c:send("?"))
  expect.eq(c:recv(4), "late")
  expect.eq(now() - 1767225600, 10)
end

function test_a_peer_that_sleeps_past_the_timeout()
  local c = late_peer()
  c:settimeout(5)
  assert(c:send("?"))
  local data, err = c:recv(4)
  expect.eq({data, err}, {nil, "timeout"})
  expect.eq(now() - 1767225600, 5)
end

function test_a_handshake_that_never_comes_times_out()
  local l = assert(socket.listen("127.0.0.1:0", {tls = {selfsigned = true}}))
  local held
  spawn(function() held = l:accept() end) -- accepts, never reads: no handshake
  testing.cleanup(function() l:close(); if held then held:close() end end)
  local c, err = socket.connect(l:getsockname(), {tls = {insecure = true}, timeout = 3})
  expect.eq({c, err}, {nil, "timeout"})
  expect.eq(now() - 1767225600, 3)
end
