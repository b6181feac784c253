-- Socket behaviour, specified in Lua: each test_* runs on a fresh host
-- (runtime/lualib/lua_test.go). Everything stays on 127.0.0.1 with
-- OS-chosen ports.

local T = require("luatest")
local eq, pair, waitfor = T.eq, T.pair, T.waitfor

function test_python_style_server_and_client()
  local srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
  assert(srv:bind({"127.0.0.1", 0}))
  assert(srv:listen(5))
  local host, port = srv:getsockname():match("^(.*):(%d+)$")
  local client = spawn(function()
    local c = socket.socket()
    assert(c:connect(host, tonumber(port)))
    return c:recv(1024)
  end)
  local conn, addr = srv:accept()
  eq(addr, conn:getpeername(), "peer address")
  eq(conn:getsockname(), srv:getsockname(), "server side address")
  eq(conn:send("welcome"), 7, "bytes sent")
  conn:close()
  eq(client:join(), "welcome", "client got")
end

function test_recv_returns_up_to_n_and_empty_at_eof()
  local c, s = pair()
  s:sendall("welcome to the server!")
  s:close()
  eq(c:recv_exactly(3), "wel")
  eq(c:recv(8), "come to ", "recv(8) from the buffer")
  eq(c:recv(100), "the server!", "the rest, up to n")
  eq(c:recv(8), "", "EOF")
  eq(c:recv(8), "", "EOF again")
end

function test_recv_exactly_eof_mid_message_hands_over_partial()
  local c, s = pair()
  s:sendall("abc")
  s:close()
  local data, err, partial = c:recv_exactly(5)
  eq(data, nil); eq(err, "closed"); eq(partial, "abc")
  eq(c:recv(1), "", "nothing left after the partial was handed over")
end

function test_timeout_keeps_bytes_buffered()
  local c, s = pair()
  s:sendall("abc")
  c:settimeout(0.2)
  eq(c:gettimeout(), 0.2)
  local t0 = monotonic()
  local data, err, partial = c:recv_exactly(5)
  local waited = monotonic() - t0
  eq(data, nil); eq(err, "timeout"); eq(partial, "abc")
  assert(waited >= 0.2 and waited < 0.25, "timed out after " .. waited .. " s, want 0.2 s")
  s:sendall("de")
  eq(c:recv_exactly(5), "abcde", "a timeout consumed nothing")
  c:settimeout(nil)
  eq(c:gettimeout(), nil)
end

function test_timeout_on_recv_accept_and_recv_until()
  local c, s = pair()
  c:settimeout(0.05)
  local data, err = c:recv(10)
  eq(data, nil); eq(err, "timeout", "recv")
  s:sendall("no newline yet")
  data, err, partial = c:recv_until("\n")
  eq(err, "timeout", "recv_until"); eq(partial, "no newline yet")
  local srv = assert(socket.listen("127.0.0.1:0"))
  srv:settimeout(0.05)
  local conn, aerr = srv:accept()
  eq(conn, nil); eq(aerr, "timeout", "accept")
end

function test_recv_until_bound()
  local c, s = pair()
  s:sendall(string.rep("x", 100) .. "\n")
  local data, err, partial = c:recv_until("\n", 50)
  eq(data, nil); eq(err, "too long")
  assert(#partial >= 50, "partial holds what was scanned, got " .. #partial)
  eq(c:recv_exactly(101), string.rep("x", 100) .. "\n", "nothing was lost")
end

function test_recv_until_default_bound_is_64k()
  local c, s = pair()
  local w = spawn(function() s:sendall(string.rep("y", 70000)) end)
  local data, err = c:recv_until("\n")
  eq(data, nil); eq(err, "too long")
  w:join()
end

function test_recv_until_delimiter_split_and_multibyte()
  local c, s = pair()
  s:sendall("one\r\ntwo\r")
  eq(c:recv_until("\r\n"), "one")
  local t = spawn(function() return c:recv_until("\r\n") end)
  waitfor(t, "waiting: recv_until")
  s:sendall("\nthree")
  eq(t:join(), "two", "a delimiter split across reads")
  eq(c:recv(100), "three")
end

function test_connection_refused()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local addr = srv:getsockname()
  srv:close()
  local c, err = socket.connect(addr)
  eq(c, nil); eq(err, "connection refused")
  local s = socket.tcp()
  local ok, err2 = s:connect(addr)
  eq(ok, nil); eq(err2, "connection refused", "method form")
end

function test_address_in_use()
  local a = assert(socket.listen("127.0.0.1:0"))
  local b = socket.socket()
  local ok, err = b:bind(a:getsockname())
  eq(ok, nil); eq(err, "address already in use")
end

function test_udp_sendto_recvfrom()
  local a, b = socket.udp(), socket.udp()
  assert(a:bind("127.0.0.1:0"))
  assert(b:bind("127.0.0.1", 0))
  eq(b:sendto("ping", a:getsockname()), 4)
  local data, from = a:recvfrom(100)
  eq(data, "ping"); eq(from, b:getsockname())
  a:sendto("pong and more", from)
  eq(b:recvfrom(4), "pong", "a datagram is cut to n")
end

function test_udp_connected_and_python_constants()
  local a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  assert(a:bind("127.0.0.1:0"))
  local b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
  assert(b:connect(a:getsockname()))
  eq(b:send("hi"), 2)
  local data, from = a:recvfrom(10)
  eq(data, "hi"); eq(from, b:getsockname())
  a:sendto("yo", from)
  eq(b:recv(10), "yo")
end

function test_shutdown_write_gives_peer_eof()
  local c, s = pair()
  c:sendall("last words")
  c:shutdown("w")
  eq(s:recv_exactly(10), "last words")
  eq(s:recv(1), "", "EOF after shutdown")
  s:sendall("reply")
  eq(c:recv(10), "reply", "the read side still works")
end

function test_tostring()
  local c, s = pair()
  eq(tostring(c), ("<tcp %s -> %s>"):format(c:getsockname(), c:getpeername()))
  local srv = assert(socket.listen("127.0.0.1:0"))
  eq(tostring(srv), "<tcp listening " .. srv:getsockname() .. ">")
  eq(tostring(socket.udp()), "<udp new>")
  c:close()
  eq(tostring(c), "<tcp closed>")
end

function test_misuse_raises()
  local c, s = pair()
  local cases = {
    {function() c:recv("x") end, "bad argument #2 to recv (number expected, got string)"},
    {function() c:recv(-1) end, "bad argument #2 to recv (count must be a whole number >= 0)"},
    {function() c:recv_exactly(2^40) end, "bad argument #2 to recv_exactly (count 1099511627776 is over 67108864 (read large data in pieces))"},
    {function() c.recv(42, 1) end, "bad argument #1 to recv (socket expected)"},
    {function() c:settimeout(-1) end, "bad argument #2 to settimeout (seconds must be >= 0)"},
    {function() c:recv_until("") end, "bad argument #2 to recv_until (delimiter must not be empty)"},
    {function() socket.connect("127.0.0.1") end, 'bad argument #1 to connect (address "127.0.0.1" has no port (use "host:port" or host, port))'},
    {function() socket.tcp():accept() end, "bad argument #1 to accept (socket is not listening (call listen first))"},
    {function() socket.tcp():recv(1) end, "bad argument #1 to recv (socket is not connected)"},
  }
  for i, case in ipairs(cases) do
    local ok, err = pcall(case[1])
    eq(ok, false, "case " .. i .. " raised")
    eq(err:gsub("^<string>:%d+: ", ""), case[2], "case " .. i)
  end
  c:close()
end

-- A socket another task closed answers nil, "closed", whether the call was
-- already waiting or came a moment later: the same situation, one answer.
function test_a_closed_socket_answers_closed_before_and_during_a_wait()
  local c, s = pair()
  local waiting = spawn(function() return c:recv(1) end)
  waitfor(waiting, "waiting: recv")
  c:close()
  local data, err = waiting:join()
  eq(data, nil); eq(err, "closed", "closed while waiting")
  local f = frame.wrap(c, frame.line())
  for name, call in pairs({
    recv = function() return c:recv(1) end,
    recv_exactly = function() return c:recv_exactly(1) end,
    recv_until = function() return c:recv_until("\n") end,
    send = function() return c:send("x") end,
    sendall = function() return c:sendall("x") end,
    framed_recv = function() return f:recv() end,
    framed_send = function() return f:send("x") end,
    accept = function() return c:accept() end,
    getsockname = function() return c:getsockname() end,
  }) do
    local r, e = call()
    eq(r, nil, name); eq(e, "closed", name)
  end
  local ls = assert(socket.listen("127.0.0.1:0"))
  local accepter = spawn(function() return ls:accept() end)
  waitfor(accepter, "waiting: accept")
  ls:close()
  eq(select(2, accepter:join()), "closed", "a listener closed while accepting")
  s:close()
end

-- settimeout(0) / setblocking(false): calls do what they can at once;
-- nil, "timeout" only when nothing is ready.
function test_non_blocking_calls_return_what_is_ready()
  local c, s = pair()
  c:setblocking(false)
  local data, err = c:recv(10)
  eq(data, nil); eq(err, "timeout", "nothing ready")
  eq(c:send("ping"), 4, "send into an empty buffer")
  eq(s:recv_exactly(4), "ping")
  s:sendall("ready!")
  local got = ""
  while #got < 6 do
    local d, e = c:recv(10)
    if d then got = got .. d else eq(e, "timeout"); yield() end
  end
  eq(got, "ready!")
  s:sendall("ab\n")
  local line
  repeat line = c:recv_until("\n"); yield() until line
  eq(line, "ab")
  local ls = assert(socket.listen("127.0.0.1:0"))
  ls:settimeout(0)
  eq(select(2, ls:accept()), "timeout", "no connection waiting")
  local client = assert(socket.connect(ls:getsockname()))
  local conn
  repeat conn = ls:accept(); yield() until conn
  conn:sendall("hi")
  eq(client:recv_exactly(2), "hi", "accept returned the waiting connection")
end
