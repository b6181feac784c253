-- The kv protocol's specification as Lua tests: netplay test protocols/kv_test.lua
--
-- Each global test_* function is one test: it fails by raising. The
-- table-driven test of kv.handle needs no socket; the others run a real
-- server on a free loopback port, as a task of the test itself, and talk
-- to it over TCP. Copy this file with kv.lua when you make your own
-- protocol, and change the cases.

local function eq(got, want, what)
  if got ~= want then
    error(("%s: got %s, want %s"):format(what or "value", ("%q"):format(tostring(got)), ("%q"):format(tostring(want))), 2)
  end
end

-- start runs a kv server on a free port; it returns the address, the
-- server's store (a test can look inside) and a function that stops it
-- (a test ends when every task it started has ended).
local function start()
  local kv = require("kv")
  local listener = assert(socket.listen("127.0.0.1:0"))
  local store = {}
  spawn(kv.serve, listener, store)
  return listener:getsockname(), store, function() listener:close() end
end

-- raw connects with a plain socket, to send exactly the bytes a test wants.
local function raw(addr)
  local s = assert(socket.connect(addr))
  s:settimeout(5)
  return s
end

function test_handle_every_command()
  local kv = require("kv")
  local store = {}
  local cases = {
    {"SET greeting hello world", "OK"},
    {"GET greeting", "VALUE hello world"},
    {"get greeting", "VALUE hello world", "commands are case-insensitive"},
    {"SET greeting  two  spaces ", "OK", "the value is the rest of the line"},
    {"GET greeting", "VALUE  two  spaces "},
    {"SET empty ", "OK", "an empty value"},
    {"GET empty", "VALUE "},
    {"GET nothing", "NOT_FOUND"},
    {"DEL greeting", "DELETED"},
    {"DEL greeting", "NOT_FOUND"},
    {"GET greeting", "NOT_FOUND"},
    {"", "ERR empty command"},
    {"   ", "ERR empty command"},
    {"FLY away", 'ERR unknown command "FLY"'},
    {"GET", "ERR usage: GET key"},
    {"GET a b", "ERR usage: GET key"},
    {"SET a", "ERR usage: SET key value"},
    {"DEL", "ERR usage: DEL key"},
    {"QUIT now", "ERR usage: QUIT"},
    {"GET " .. ("k"):rep(251), "ERR key longer than 250 bytes"},
    {"SET " .. ("k"):rep(250) .. " v", "OK", "a 250-byte key is fine"},
  }
  for _, c in ipairs(cases) do
    local reply, quit = kv.handle(c[1], store)
    eq(reply, c[2], c[3] or c[1])
    eq(quit, nil, c[1] .. ": does not quit")
  end
  local reply, quit = kv.handle("quit", store)
  eq(reply, "BYE"); eq(quit, true, "QUIT closes")
end

function test_commands_over_a_connection()
  local addr, store, stop = start()
  local s = raw(addr)
  assert(s:sendall("SET a 1\r\n"))
  eq(s:recv_until("\n"), "OK", "a \\r before the \\n is dropped")
  eq(store.a, "1", "the server's store has it")
  assert(s:sendall("GET a\n"))
  eq(s:recv_until("\n"), "VALUE 1")
  assert(s:sendall("nonsense\n"))
  eq(s:recv_until("\n"), 'ERR unknown command "NONSENSE"', "an error")
  assert(s:sendall("GET a\n"))
  eq(s:recv_until("\n"), "VALUE 1", "the connection is still usable after an error")
  assert(s:sendall("QUIT\n"))
  eq(s:recv_until("\n"), "BYE")
  eq(s:recv(1), "", "the server closed after BYE")
  s:close(); stop()
end

-- Commands sent together (one write, or split anywhere) get their replies
-- in order: the server reads lines, not writes.
function test_pipelined_and_split_commands()
  local addr, _, stop = start()
  local s = raw(addr)
  assert(s:sendall("SET x 1\nSET y 2\nGET x\nGET y\nDEL x\n"))
  for _, want in ipairs({"OK", "OK", "VALUE 1", "VALUE 2", "DELETED"}) do
    eq(s:recv_until("\n"), want)
  end
  for _, piece in ipairs({"G", "ET", " y", "\r", "\n"}) do
    assert(s:sendall(piece))
    sleep(0.001)
  end
  eq(s:recv_until("\n"), "VALUE 2", "a command split over five writes")
  s:close(); stop()
end

function test_line_too_long_closes_the_connection()
  local addr, _, stop = start()
  local s = raw(addr)
  local sender = spawn(function() s:sendall("SET big " .. ("x"):rep(70 * 1024) .. "\n") end)
  eq(s:recv_until("\n"), "ERR line too long")
  eq(s:recv(1), "", "then the server closes")
  sender:join()
  s:close(); stop()
end

function test_clients_share_the_store()
  local kv = require("kv")
  local addr, _, stop = start()
  local a, b = assert(kv.connect(addr, 5)), assert(kv.connect(addr, 5))
  eq(a:set("shared", "from a"), true)
  eq(b:get("shared"), "from a", "b sees what a set")
  eq(b:del("shared"), true)
  eq(a:get("shared"), nil, "gone for a too")
  eq(a:del("shared"), false, "nothing to delete")
  local v, err = a:get("bad key")
  eq(v, nil); eq(err, "usage: GET key", "an ERR reply is nil, err")
  a:quit(); b:quit(); stop()
end

function test_client_reports_a_closed_server()
  local kv = require("kv")
  local addr, _, stop = start()
  local c = assert(kv.connect(addr, 5))
  eq(c:command("QUIT"), "BYE")
  local reply, err = c:command("GET a")
  eq(reply, nil); eq(err, "closed", "the server hung up after BYE")
  stop()
  local probe = assert(socket.listen("127.0.0.1:0")) -- a port nobody listens on
  local nobody = probe:getsockname()
  probe:close()
  local c2, cerr = kv.connect(nobody, 5)
  eq(c2, nil); eq(cerr, "connection refused")
end
