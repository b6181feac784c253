-- Tests that pass, and one skipped.

function test_arithmetic()
  expect.eq(1 + 1, 2)
  expect.ne(1, 2)
  expect.near(0.1 + 0.2, 0.3, 1e-9)
  expect.truthy("yes")
end

function test_deep_tables()
  expect.eq({1, 2, {x = "y"}}, {1, 2, {x = "y"}})
  local a = {}
  a.self = a
  local b = {}
  b.self = b
  expect.eq(a, b) -- cycles end
end

function test_expect_error()
  local msg = expect.error(function() error("bad header: too long") end, "^.-: bad header")
  expect.eq(msg:match("_test.lua:%d+: (.*)$"), "bad header: too long")
  expect.error(function() error({}) end)
end

function test_skip_this()
  testing.skip("needs a feature this build lacks")
  error("not reached")
end

function test_socket_pair()
  local a, b = socket.pair()
  a:sendall("ping")
  expect.eq(b:recv_exactly(4), "ping")
  b:sendall("pong")
  expect.eq(a:recv_exactly(4), "pong")
  a:close()
  expect.eq(b:recv(1), "")
end

function test_echo_server_with_codec()
  local addr, srv = testing.echo_server{codec = frame.header()}
  local f = frame.wrap(assert(socket.connect(addr)), frame.header())
  for _, msg in ipairs{"one", "two", ""} do
    f:send(msg)
    expect.eq(f:recv(), msg)
  end
  f:close()
  srv:close()
end

function test_echo_server_bytes()
  local addr = testing.echo_server()
  local c = assert(socket.connect(addr))
  c:sendall("hello")
  expect.eq(c:recv_exactly(5), "hello")
  c:close()
  -- the server stops at the end of the test: no leak
end

function test_server_handler()
  local addr = testing.server(function(f)
    local n = tonumber(f:recv())
    f:send(tostring(n * 2))
  end, {codec = frame.line()})
  local f = frame.wrap(assert(socket.connect(addr)), frame.line())
  f:send("21")
  expect.eq(f:recv(), "42")
end

function test_free_addr()
  local addr = testing.free_addr()
  expect.truthy(addr:match("^127%.0%.0%.1:%d+$"), addr)
  local c, err = socket.connect(addr)
  expect.eq({c, err}, {nil, "connection refused"})
  local ls = assert(socket.listen(addr)) -- free to take
  ls:close()
  local u = socket.udp()
  assert(u:bind(testing.free_addr("udp")))
  u:close()
  expect.error(function() testing.free_addr("sctp") end, 'bad argument #1 to \'free_addr\' %("tcp" or "udp" expected, got sctp%)')
end

function test_output()
  print("one")
  io.write("two\n")
  expect.eq(testing.output(), "one\ntwo\n")
end

function test_cleanup_order()
  testing.cleanup(function() print("cleanup 1") end)
  testing.cleanup(function() print("cleanup 2") end)
end

function test_run_finds_scripts_beside_the_test()
  expect.eq({run("helper.lua", 1, 2)}, {"helper", 1, 2})
end
