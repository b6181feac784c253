-- The servers netplay bench measures, tested (netplay test scripts/bench).

-- start runs a server script beside this file as a task on a free port;
-- it is stopped at the end of the test.
local function start(script)
  local addr = testing.free_addr()
  local srv = spawn(run, script, addr)
  testing.cleanup(function() srv:cancel(); srv:join() end)
  return addr
end

function test_echo_server_echoes_every_frame()
  local f = frame.wrap(assert(socket.connect(start("echo_server.lua"))), frame.header())
  for _, msg in ipairs{"a", "", string.rep("x", 100000), "héllo"} do
    f:send(msg)
    expect.eq(f:recv(), msg)
  end
  f:close()
end

function test_echo_server_keeps_pipelined_frames_in_order()
  local f = frame.wrap(assert(socket.connect(start("echo_server.lua"))), frame.header())
  for i = 1, 64 do f:send("message " .. i) end
  for i = 1, 64 do expect.eq(f:recv(), "message " .. i) end
  f:close()
end

function test_echo_server_serves_connections_at_once()
  local addr = start("echo_server.lua")
  local a = frame.wrap(assert(socket.connect(addr)), frame.header())
  local b = frame.wrap(assert(socket.connect(addr)), frame.header())
  a:send("from a")
  b:send("from b")
  expect.eq(b:recv(), "from b")
  expect.eq(a:recv(), "from a")
  a:close()
  b:close()
end

function test_pingpong_server()
  local f = frame.wrap(assert(socket.connect(start("pingpong_server.lua"))), frame.line())
  f:send("ping 1")
  expect.eq(f:recv(), "pong 1")
  f:send("ping 12345")
  expect.eq(f:recv(), "pong 12345")
  f:send("hello")
  expect.eq(f:recv(), "error: expected ping N")
  f:close()
end
