testing.virtual_time()

-- start runs kv_server.lua (beside this file) on a free port; it stops,
-- with the tasks it started, at the end of the test.
local function start()
  local probe = assert(socket.listen("127.0.0.1:0"))
  local addr = probe:getsockname()
  probe:close()
  local server = spawn(run, "kv_server.lua", addr)
  testing.cleanup(function() server:cancel{children = true} end)
  return frame.wrap(assert(socket.connect(addr)), frame.line())
end

-- ask sends one command and returns the reply.
local function ask(f, command)
  assert(f:send(command))
  return f:recv()
end

function test_set_then_get()
  local f = start()
  expect.eq(ask(f, "SET greeting hello"), "OK")
  expect.eq(ask(f, "GET greeting"), "VALUE hello")
  expect.eq(ask(f, "GET nothing"), "NOT FOUND")
end

function test_keys_expire()
  local f = start()
  expect.eq(ask(f, "SET session abc 60"), "OK")
  sleep(59)
  expect.eq(ask(f, "GET session"), "VALUE abc")
  sleep(1) -- a minute has passed, in virtual time
  expect.eq(ask(f, "GET session"), "NOT FOUND")
end

function test_commands_cut_into_single_bytes()
  local f = start()
  f.sock:shape{split = 1} -- the server reads every byte on its own
  expect.eq(ask(f, "SET k v"), "OK")
  expect.eq(ask(f, "GET k"), "VALUE v")
end

function test_bad_commands()
  local f = start()
  expect.eq(ask(f, "DEL k"), "ERROR bad command")
  expect.eq(ask(f, "GET k v"), "ERROR bad command")
end
