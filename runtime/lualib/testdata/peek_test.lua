-- sock:peek(n) and sock:unread(data), on sockets and framed sockets
-- (runtime/lualib/peek_test.go).

local T = require("luatest")
local eq, pair, raises = T.eq, T.pair, T.raises

-- Every receive method, after a peek, still gets every byte, in order.
function test_peek_consumes_nothing_whatever_reads_next()
  local reads = {
    recv = function(s) return s:recv(100) end,
    recv_exactly = function(s) return s:recv_exactly(12) end,
    recv_until = function(s) return s:recv_until("\n") .. "\n" end,
    framed_line = function(s) return frame.wrap(s, frame.line()):recv() .. "\n" end,
    framed_lua = function(s)
      local upto = frame.new{
        encode = function(m) return m end,
        decode = function(buf) local i = buf:find("\n", 1, true); if i then return buf:sub(1, i), i end end,
      }
      return frame.wrap(s, upto):recv()
    end,
  }
  for name, read in pairs(reads) do
    local c, s = pair()
    assert(c:sendall("hello world\n"))
    eq(s:peek(5), "hello", name .. ": peek(5)")
    eq(s:peek(5), "hello", name .. ": peek again")
    eq(s:peek(100), "hello world\n", name .. ": peek(100) is all that is buffered")
    eq(read(s), "hello world\n", name)
    c:close(); s:close()
  end
end

function test_peek_waits_for_a_first_byte_and_returns_what_arrived()
  local c, s = pair()
  local t = spawn(function() return s:peek(10) end)
  eq(t:status():match("^waiting"), "waiting", "peek waits while nothing has arrived")
  assert(c:sendall("ab"))
  eq(t:join(), "ab", "up to n: what arrived, not n bytes")
  eq(s:recv_exactly(2), "ab")
end

function test_peek_at_end_of_stream_timeout_and_closed()
  local c, s = pair()
  assert(c:sendall("last"))
  c:close()
  eq(s:peek(2), "la", "buffered bytes before the end")
  eq(s:recv(10), "last")
  eq(s:peek(2), "", "end of stream, as recv")
  eq(s:peek(0), "", "peek(0) never waits")

  local c2, s2 = pair()
  s2:settimeout(0.02)
  local data, err = s2:peek(1)
  eq(data, nil); eq(err, "timeout")
  s2:close()
  data, err = s2:peek(1)
  eq(data, nil); eq(err, "closed")
  data, err = s2:peek(0)
  eq(data, nil); eq(err, "closed", "peek(0) on a closed socket")
  c2:close()
end

-- Bytes pushed back come first, for every receive method, even when the
-- read spans them and bytes still to arrive.
function test_unread_bytes_come_back_first()
  local c, s = pair()
  assert(c:sendall("world\n"))
  eq(s:recv_exactly(6), "world\n")
  eq(s:unread("hello "), true)
  eq(s:recv(100), "hello ", "recv hands over the pushed-back bytes")

  assert(c:sendall("cd\n"))
  eq(s:recv_exactly(1), "c")
  assert(s:unread("ab" .. "c"))
  eq(s:recv_until("\n"), "abcd", "recv_until across pushed-back and buffered bytes")

  assert(s:unread("12"))
  assert(s:unread("0"))
  local t = spawn(function() return s:recv_exactly(5) end)
  assert(c:sendall("34"))
  eq(t:join(), "01234", "unread twice: the last pushed comes first; then the wire")
end

function test_unread_then_peek_and_framed_reads()
  local c, s = pair()
  local f = frame.wrap(s, frame.header())
  assert(c:sendall(frame.header():encode("second")))
  eq(f:peek(10), "6         ", "f:peek sees the raw header, consuming nothing")
  assert(f:unread(frame.header():encode("first")))
  eq(s:peek(3), "5  ", "the socket sees what the framed socket pushed back")
  eq(f:recv(), "first")
  eq(f:recv(), "second")
  assert(s:unread("7         part"))
  c:close()
  local msg, err, partial = f:recv()
  eq(msg, nil); eq(err, "closed"); eq(partial, "7         part", "an unfinished frame at the end")
end

-- A server reads a few bytes to decide what the peer speaks, puts them
-- back and hands the socket to the matching codec.
function test_sniff_then_frame()
  local c, s = pair()
  assert(c:sendall("HELLO\r\n"))
  local head = s:recv_exactly(2)
  eq(head, "HE")
  assert(s:unread(head))
  local f = frame.wrap(s, frame.line("\r\n"))
  eq(f:recv(), "HELLO")
end

function test_unread_is_bounded()
  local c, s = pair()
  raises("bad argument #2 to unread (1048577 bytes is over unread's limit of 1048576)",
    function() s:unread(string.rep("x", 1024 * 1024 + 1)) end)
  assert(s:unread(string.rep("x", 1024 * 1024)))
  local ok, err = s:unread("y")
  eq(ok, nil); eq(err, "too long", "the buffer would outgrow the limit")
  eq(#s:recv_exactly(1024 * 1024), 1024 * 1024)
  assert(s:unread("y"), "room again once read")
  eq(s:recv(1), "y")
  s:close()
  ok, err = s:unread("z")
  eq(ok, nil); eq(err, "closed")
  c:close()
end

function test_misuse_raises()
  local c, s = pair()
  raises("bad argument #2 to peek (count must be a whole number >= 0)", function() s:peek(-1) end)
  raises("bad argument #2 to unread (string expected, got nil)", function() s:unread() end)
  local u = socket.udp()
  raises("bad argument #1 to peek (not a stream socket)", function() u:peek(1) end)
  u:close(); c:close(); s:close()
end
