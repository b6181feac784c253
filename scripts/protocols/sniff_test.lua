-- sniff_server.lua, tested (netplay test scripts/protocols/sniff_test.lua)
-- in virtual time: one port, and each client is answered in the protocol
-- its first bytes speak.

testing.virtual_time()

local resp, http = run("resp.lua"), run("http.lua")

-- start runs sniff_server.lua (beside this file) on a free port until the
-- end of the test.
local function start()
  local probe = assert(socket.listen("127.0.0.1:0"))
  local addr = probe:getsockname()
  probe:close()
  local server = spawn(run, "sniff_server.lua", addr)
  testing.cleanup(function() server:cancel{children = true} end)
  return addr
end

function test_resp_clients_get_resp()
  local addr = start()
  local r = assert(resp.connect(addr, {timeout = 5}))
  expect.eq(r:call("PING"), "PONG")
  expect.eq(r:call("ECHO", "peeked, then parsed"), "peeked, then parsed")
  local v, err = r:call("SET", "k", "v")
  expect.eq(err, "ERR unknown command 'SET'")
  r:close()
end

function test_http_clients_get_http()
  local addr = start()
  local res = assert(http.get("http://" .. addr .. "/hello"))
  expect.eq({res.status, res.body}, {200, "you spoke HTTP: GET /hello HTTP/1.1\n"})
end

-- Text: the first line was taken to look at it, then put back with
-- unread, so the line protocol reads it again.
function test_text_lines_are_echoed()
  local addr = start()
  local s = assert(socket.connect(addr))
  assert(s:sendall("hello\nGET me a coffee\n"))
  expect.eq(s:recv_until("\n"), "you said: hello")
  expect.eq(s:recv_until("\n"), "you said: GET me a coffee", "not HTTP: no version")
  assert(s:sendall("no newline"))
  s:shutdown("w")
  expect.eq(s:recv_until("\n"), "you said (no newline): no newline")
end

-- TLS HOOK: a ClientHello goes to serve_tls, which closes the connection
-- until it starts TLS; then this test becomes a handshake with
-- socket.connect(addr, {tls = {insecure = true}}) and an exchange over it.
function test_a_tls_hello_goes_to_the_tls_hook()
  local addr = start()
  local s = assert(socket.connect(addr))
  assert(s:sendall("\22\3\1\0\5hello"))
  expect.eq(s:recv(100), "", "closed, unanswered")
  expect.truthy(testing.output():find("speaks TLS: not available yet, closing\n", 1, true))
end
