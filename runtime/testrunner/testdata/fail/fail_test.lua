-- Tests that fail, one way each.

function test_passes()
end

function test_assert()
  local header = nil
  assert(header, "no header")
end

function test_expect_eq_string()
  expect.eq("Welcome to the server!", "Welcome to The server!")
end

function test_expect_eq_binary()
  expect.eq("\0\0\0\5hello", "\0\0\0\6hello")
end

function test_expect_eq_table()
  local got = {players = {{name = "ann"}, {name = "bob", score = 3}}}
  expect.eq(got, {players = {{name = "ann"}, {name = "bob", score = 4}}}, "scores")
end

function test_expect_eq_types()
  expect.eq(1, "1")
end

function test_expect_near()
  expect.near(1.5, 1, 0.1)
end

function test_expect_error_none()
  expect.error(function() end, "timeout")
end

function test_expect_error_other()
  expect.error(function() error("connection refused") end, "timeout")
end

-- check is a helper: the traceback leads from it into the test.
local function check(reply)
  expect.truthy(reply:match("^pong"), "reply")
end

function test_in_helper()
  print("sending ping")
  check("pang 1")
end

function test_error_value()
  error({code = 7, why = "refused"})
end

function test_error_no_position()
  error("plain", 0)
end

function test_task_error()
  local t = spawn(function() error("handler broke") end)
  sleep(0)
end

function test_leak()
  spawn(function() sleep(100) end)
  local a, b = socket.pair()
  spawn(function() b:recv(1) end)
end
