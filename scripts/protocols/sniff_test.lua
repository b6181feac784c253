-- sniff_server.lua, tested (netplay test scripts/protocols/sniff_test.lua)
-- in virtual time: one port, and each client is answered in the protocol
-- its first bytes speak.

testing.virtual_time()

local resp, http = run("resp.lua"), run("http.lua")

-- start runs sniff_server.lua (beside this file) on a free port until the
-- end of the test.
local function start()
  local addr = testing.free_addr()
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

-- A ClientHello goes to serve_tls: the handshake, then the same sniffing
-- inside TLS (here text lines, and HTTP as https).
function test_tls_clients_get_the_same_protocols_inside_tls()
  local addr = start()
  local s = assert(socket.connect(addr, {tls = {insecure = true}, timeout = 5}))
  expect.eq(s:tlsinfo().version, "TLS 1.3")
  assert(s:sendall("hello\n"))
  expect.eq(s:recv_until("\n"), "you said: hello")
  s:close()
  local res = assert(http.get("https://" .. addr .. "/secret", {timeout = 5, tls = {insecure = true}}))
  expect.eq({res.status, res.body}, {200, "you spoke HTTP: GET /secret HTTP/1.1\n"})
  local out = testing.output()
  expect.truthy(out:find("speaks TLS (TLS 1.3)\n", 1, true))
  expect.truthy(out:find("speaks HTTP: GET /secret HTTP/1.1\n", 1, true))
end

-- A record that starts like TLS but is not: the handshake fails, the
-- server says why and closes.
function test_a_broken_tls_hello_is_closed_with_the_reason()
  local addr = start()
  local s = assert(socket.connect(addr))
  assert(s:sendall("\22\3\1\0\5hello"))
  s:settimeout(5)
  local got = {}
  repeat -- up to the end: crypto/tls answers a bad hello with an alert record
    local data = s:recv(100)
    got[#got + 1] = data
  until not data or data == ""
  local answer = table.concat(got)
  expect.eq(answer:sub(1, 3), "\21\3\1", "a TLS alert record, then the end")
  expect.truthy(testing.output():find("speaks TLS, but the handshake failed: tls: handshake message of length 6646892 bytes exceeds maximum of 65536 bytes\n", 1, true))
end
