-- TLS over sockets (Go's crypto/tls), specified in Lua.

local T = require("luatest")
local eq = T.eq

-- A TLS line-upper-case server with a throwaway certificate.
local function tls_server()
  local srv = assert(socket.listen("127.0.0.1:0", {tls = {selfsigned = true}}))
  local t = spawn(function()
    while true do
      local c = srv:accept()
      if not c then return end
      spawn(function()
        local f = frame.wrap(c, frame.line())
        while true do
          local m = f:recv()
          if not m then break end
          f:send(m:upper())
        end
        c:close()
      end)
    end
  end)
  return srv, t
end

function test_echo_over_a_self_signed_listener_the_client_trusts()
  local srv, server = tls_server()
  eq(tostring(srv):match("^<tcp tls listening") ~= nil, true)
  local info = srv:tlsinfo()
  eq(info.subject, "CN=localhost,O=netplay (self-signed)")
  eq(info.fingerprint:match("^sha256:%x+$") ~= nil, true)
  local c = assert(socket.connect(srv:getsockname(), {tls = {ca = srv:certificate_pem()}}))
  local f = frame.wrap(c, frame.line())
  assert(f:send("hello over tls"))
  eq(f:recv(), "HELLO OVER TLS")
  local ci = c:tlsinfo()
  eq(ci.version:match("^TLS 1%.[23]$") ~= nil, true)
  eq(ci.peer.subject, "CN=localhost,O=netplay (self-signed)")
  eq(ci.servername, "127.0.0.1")
  c:close(); srv:close(); server:join()
end

function test_handshake_failures_say_why()
  local srv, server = tls_server()
  local c, err = socket.connect(srv:getsockname(), {tls = true})
  eq(c, nil); eq(err, "tls: unknown certificate authority")
  c, err = socket.connect(srv:getsockname(), {tls = {ca = srv:certificate_pem(), servername = "example.test"}})
  eq(c, nil); eq(err, "tls: certificate is valid for localhost, not example.test")
  local insecure = assert(socket.connect(srv:getsockname(), {tls = {insecure = true}}))
  insecure:close()
  local plain = assert(socket.listen("127.0.0.1:0"))
  spawn(function() local x = plain:accept() x:send("220 not tls at all\r\n") x:close() end)
  c, err = socket.connect(plain:getsockname(), {tls = {insecure = true}})
  eq(c, nil); eq(err, "tls: the peer does not speak TLS")
  srv:close(); server:join(); plain:close()
end

-- SMTP-style: a plaintext greeting, STARTTLS, then both sides in TLS.
function test_starttls_after_a_plaintext_greeting()
  local ls = assert(socket.listen("127.0.0.1:0"))
  local server = spawn(function()
    local c = ls:accept()
    c:sendall("220 ready\r\n")
    eq(c:recv_until("\r\n"), "STARTTLS")
    c:sendall("220 go ahead\r\n")
    assert(c:starttls({selfsigned = true}))
    eq(c:recv_until("\r\n"), "EHLO secret")
    c:sendall("250 welcome, in TLS\r\n")
    c:close()
  end)
  local c = assert(socket.connect(ls:getsockname()))
  eq(c:recv_until("\r\n"), "220 ready")
  c:sendall("STARTTLS\r\n")
  eq(c:recv_until("\r\n"), "220 go ahead")
  assert(c:starttls({insecure = true}))
  eq(c:tlsinfo() ~= nil, true)
  c:sendall("EHLO secret\r\n")
  eq(c:recv_until("\r\n"), "250 welcome, in TLS")
  server:join()
  ls:close()
end

function test_framing_and_timeouts_over_tls()
  local srv = assert(socket.listen("127.0.0.1:0", {tls = {selfsigned = true}}))
  local server = spawn(function()
    local c = srv:accept()
    local f = frame.wrap(c, frame.header())
    f:send("first")
    eq(c:recv(5), "go on")
    f:send("second")
    c:close()
  end)
  local c = assert(socket.connect(srv:getsockname(), {tls = {insecure = true}}))
  local f = frame.wrap(c, frame.header())
  eq(f:recv(), "first")
  c:settimeout(0.02)
  local m, err = f:recv()
  eq(m, nil); eq(err, "timeout", "nothing yet: a timeout, the connection intact")
  c:settimeout(nil)
  c:sendall("go on")
  eq(f:recv(), "second")
  local last, why, partial = f:recv()
  eq(last, nil); eq(why, "closed"); eq(partial, "")
  server:join(); srv:close()
end

-- A reader and a writer task on one fresh TLS connection both need the
-- handshake: the second waits for the first's, the interpreter is not held.
function test_two_tasks_need_the_handshake_at_once()
  local l = assert(socket.listen("127.0.0.1:0", {tls = {selfsigned = true}}))
  local got, sent
  local server = spawn(function()
    local c = assert(l:accept())
    c:settimeout(5)
    local r = spawn(function() got = c:recv(5) end)
    local w = spawn(function() sent = c:send("hi") end)
    r:join(); w:join()
    c:close()
  end)
  local c = assert(socket.connect(l:getsockname(), {tls = {insecure = true}, timeout = 5}))
  eq(c:recv(2), "hi")
  assert(c:send("hello"))
  server:join(5)
  eq(got, "hello")
  eq(sent, 2)
  c:close()
  l:close()
end
