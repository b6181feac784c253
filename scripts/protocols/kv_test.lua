testing.virtual_time()

-- start runs kv_server.lua (beside this file) on a free port; it stops,
-- with the tasks it started, at the end of the test.
local function start()
  local addr = testing.free_addr()
  local server = spawn(run, "kv_server.lua", addr)
  testing.cleanup(function() server:cancel{children = true} end)
  return frame.wrap(assert(socket.connect(addr)), frame.line()), addr
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

function test_del_and_quit()
  local f = start()
  expect.eq(ask(f, "SET k v"), "OK")
  expect.eq(ask(f, "DEL k"), "DELETED")
  expect.eq(ask(f, "DEL k"), "NOT FOUND")
  expect.eq(ask(f, "GET k"), "NOT FOUND")
  expect.eq(ask(f, "QUIT"), "BYE")
  local line, err = f:recv()
  expect.eq(line, nil)
  expect.eq(err, "closed") -- the server hung up after BYE
end

function test_bad_commands()
  local f = start()
  expect.eq(ask(f, "FLY away"), "ERROR unknown command FLY")
  expect.eq(ask(f, "GET k v"), "ERROR usage: GET key")
  expect.eq(ask(f, "SET k"), "ERROR usage: SET key value [seconds]")
  expect.eq(ask(f, "SET k v soon"), "ERROR usage: SET key value [seconds]")
  expect.eq(ask(f, ""), "ERROR empty line")
  expect.eq(ask(f, "SET k v"), "OK") -- errors leave the connection usable
end

function test_line_too_long_closes()
  local f = start()
  assert(f:send(string.rep("x", 2000)))
  expect.eq(f:recv(), "ERROR line too long")
  local _, err = f:recv()
  expect.eq(err, "closed") -- and the server closed
end

-- Commands sent in one write come back as replies in order, and every
-- client shares the one store.
function test_pipelined_commands_and_a_shared_store()
  local f, addr = start()
  assert(f.sock:sendall("SET a 1\nSET b 2\nGET a\nDEL b\nGET b\n"))
  for _, want in ipairs({"OK", "OK", "VALUE 1", "DELETED", "NOT FOUND"}) do
    expect.eq(f:recv(), want)
  end
  local other = frame.wrap(assert(socket.connect(addr)), frame.line())
  expect.eq(ask(other, "GET a"), "VALUE 1")
end

-- kv_client.lua (beside this file) sends its arguments as one command.
function test_client_script()
  local _, addr = start()
  run("kv_client.lua", addr, "SET", "greeting", "hello")
  run("kv_client.lua", addr, "GET", "greeting")
  run("kv_client.lua", addr, "MAYBE")
  expect.eq(testing.output(), "OK\nVALUE hello\nERROR unknown command MAYBE\n")
end
