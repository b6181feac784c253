-- The frame module, specified in Lua (runtime/lualib/lua_test.go).

local T = require("luatest")
local eq, pair, waitfor = T.eq, T.pair, T.waitfor

function test_header_encode_decode()
  local h = frame.header()
  eq(h:encode("Welcome to the server!"), "22        Welcome to the server!")
  eq(frame.header(4):encode("hi"), "2   hi")
  local msg, used = h:decode("5         hello5         world")
  eq(msg, "hello"); eq(used, 15)
  eq(h:decode("5      "), nil, "need more")
  eq(select("#", h:decode("5      ")), 1, "need more is a single nil")
  local m, err = h:decode("x         hello")
  eq(m, nil); eq(err, "bad header: non-digit byte 'x' at offset 0")
  eq(tostring(h), "<codec header(10)>")
end

function test_every_codec_round_trips_over_a_socket()
  local codecs = {
    frame.header(), frame.header(4), frame.u8(), frame.u16(), frame.u32(), frame.u64(),
    frame.u32({little = true}), frame.varint(), frame.line(), frame.line("\r\n"), frame.netstring(),
  }
  local msgs = {"", "a", "héllo ✓", string.rep("x", 200), "with spaces  "}
  for _, codec in ipairs(codecs) do
    local c, s = pair()
    local fc, fs = frame.wrap(c, codec), frame.wrap(s, codec)
    for _, m in ipairs(msgs) do assert(fc:send(m)) end
    for i, m in ipairs(msgs) do eq(fs:recv(), m, tostring(codec) .. " message " .. i) end
  end
  local c, s = pair()
  local fc, fs = frame.wrap(c, frame.fixed(3)), frame.wrap(s, frame.fixed(3))
  fc:send("abc"); fc:send("def")
  eq(fs:recv() .. fs:recv(), "abcdef")
  local ok, err = fc:send("toolong")
  eq(ok, nil); eq(err, "bad message: length 7, want 3")
end

function test_wrap_keeps_bytes_recv_left_and_what_follows_a_frame()
  local c, s = pair()
  s:sendall("HELLO\n" .. frame.header():encode("framed") .. "raw tail")
  eq(c:recv_until("\n"), "HELLO")
  local f = frame.wrap(c, frame.header())
  eq(f:recv(), "framed", "a frame after bytes read by recv_until")
  eq(f.sock:recv_exactly(8), "raw tail", "bytes after the frame stay for the socket")
  eq(f.sock, c)
end

function test_recv_reports_eof_mid_frame_and_clean_eof()
  local c, s = pair()
  s:sendall("5         hel")
  s:close()
  local f = frame.wrap(c, frame.header())
  local msg, err, partial = f:recv()
  eq(msg, nil); eq(err, "closed"); eq(partial, "5         hel")
  local c2, s2 = pair()
  s2:sendall("2         ok")
  s2:close()
  local f2 = frame.wrap(c2, frame.header())
  eq(f2:recv(), "ok")
  msg, err, partial = f2:recv()
  eq(err, "closed"); eq(partial, "", "a clean end of stream")
end

function test_frame_too_large_refused_before_the_body()
  local c, s = pair()
  s:sendall("2000      ") -- a header alone, announcing 2000 bytes
  local f = frame.wrap(c, frame.header(), {max = 1000})
  local msg, err = f:recv()
  eq(msg, nil); eq(err, "frame too large")
  local ok, serr = f:send(string.rep("x", 1001))
  eq(ok, nil); eq(serr, "frame too large", "sending over the maximum")
  local u = frame.wrap(c, frame.u32({max = 10}))
  eq(select(2, u:send(string.rep("y", 11))), "frame too large")
end

function test_line_without_delimiter_is_bounded()
  local c, s = pair()
  local f = frame.wrap(c, frame.line(), {max = 100})
  local w = spawn(function() s:sendall(string.rep("z", 5000)) end)
  local msg, err = f:recv()
  eq(msg, nil); eq(err, "frame too large")
  w:join()
end

function test_timeout_consumes_nothing()
  local c, s = pair()
  c:settimeout(0.05)
  local f = frame.wrap(c, frame.header())
  s:sendall("11        hello")
  local msg, err, partial = f:recv()
  eq(msg, nil); eq(err, "timeout"); eq(partial, "11        hello")
  s:sendall(" world")
  eq(f:recv(), "hello world")
end

function test_frames_iterator()
  local c, s = pair()
  local fs = frame.wrap(s, frame.netstring())
  spawn(function()
    for _, m in ipairs({"one", "two", "three"}) do fs:send(m) end
    s:close()
  end)
  local got = {}
  for msg in frame.wrap(c, frame.netstring()):frames() do got[#got + 1] = msg end
  eq(table.concat(got, ","), "one,two,three")
end

function test_frames_iterator_raises_on_bad_input()
  local c, s = pair()
  s:sendall("3:abc,x:")
  s:close()
  local got = {}
  local ok, err = pcall(function()
    for msg in frame.wrap(c, frame.netstring()):frames() do got[#got + 1] = msg end
  end)
  eq(ok, false); eq(got[1], "abc")
  assert(err:find("bad netstring: non-digit byte 'x' at offset 0", 1, true), err)
end

function test_codec_written_in_lua()
  -- A 1-byte length prefix, in Lua.
  local tiny = frame.new{
    name = "tiny",
    encode = function(msg) return string.char(#msg) .. msg end,
    decode = function(buf)
      local n = buf:byte(1)
      if n == 255 then return nil, "bad tiny: 255 is reserved" end
      if #buf < 1 + n then return nil end
      return buf:sub(2, 1 + n), 1 + n
    end,
  }
  eq(tiny:encode("hey"), "\3hey")
  local m, used = tiny:decode("\2hi!")
  eq(m, "hi"); eq(used, 3)
  local c, s = pair()
  local fs = frame.wrap(s, tiny)
  local sender = spawn(function()
    for _, b in ipairs({"\5", "he", "llo\1", "!"}) do s:sendall(b); sleep(0.001) end
    s:sendall("\255")
  end)
  local f = frame.wrap(c, tiny)
  eq(f:recv(), "hello"); eq(f:recv(), "!")
  local msg, err = f:recv()
  eq(msg, nil); eq(err, "bad tiny: 255 is reserved")
  sender:join()
  eq(tostring(f):match("^<framed tiny <tcp "), "<framed tiny <tcp ")
end

function test_misuse_raises()
  local cases = {
    {function() frame.wrap(42, frame.header()) end, "bad argument #1 to wrap (socket expected)"},
    {function() frame.wrap(socket.tcp(), "header") end, "bad argument #2 to wrap (codec expected)"},
    {function() frame.header(0) end, "bad argument #1 to header (framing: header width 0 out of range 1..20)"},
    {function() frame.u32({max = -1}) end, "bad argument #1 to u32 (max must be a whole number >= 1)"},
    {function() frame.new{encode = print} end, "bad argument #1 to new (codec needs encode and decode functions)"},
  }
  for i, case in ipairs(cases) do
    local ok, err = pcall(case[1])
    eq(ok, false, "case " .. i .. " raised")
    eq(err:gsub("^<string>:%d+: ", ""), case[2], "case " .. i)
  end
end

-- A reply to a pipelined request may be held back to share a write with
-- the next one; it must still go out before the task waits for anything,
-- ends, or closes the socket, and in order with plain sends.
function test_deferred_replies_are_never_held_back()
  local c, s = pair()
  local fc = frame.wrap(c, frame.line())
  c:settimeout(5)
  local cases = {
    {"then sleeps", function(f) f:send("r1"); sleep(30) end},
    {"then ends", function(f) f:send("r1") end},
    {"then closes", function(f) f:send("r1"); f:close() end},
    {"then sends raw", function(f) f:send("r1"); f.sock:sendall("raw\n"); sleep(30) end},
    {"then waits on a join", function(f)
      f:send("r1")
      sleeper = spawn(sleep, 30)
      sleeper:join()
    end},
  }
  for _, case in ipairs(cases) do
    local name, after = case[1], case[2]
    local srv = assert(socket.listen("127.0.0.1:0"))
    local client = assert(socket.connect(srv:getsockname()))
    client:settimeout(5)
    local conn = srv:accept()
    client:sendall("q1\nq2\n") -- two requests in one write: q2 is buffered when r1 is sent
    local server = spawn(function(sock)
      local f = frame.wrap(sock, frame.line())
      eq(f:recv(), "q1")
      assert(f.sock:recv_exactly(1), "buffer q2's first byte") -- input is still buffered
      after(f)
    end, conn)
    eq(client:recv_until("\n"), "r1", name)
    if name == "then sends raw" then eq(client:recv_until("\n"), "raw", name .. ": order") end
    server:cancel()
    server:join()
    if sleeper then sleeper:cancel() end
    srv:close()
  end
end

-- A Lua codec's decoder runs with the interpreter lock held: it must not
-- wait for another task that reads the same socket (and needs the lock).
function test_lua_codec_beside_a_blocked_reader_does_not_deadlock()
  local c, s = pair()
  local lines = frame.new{
    encode = function(msg) return msg .. "\n" end,
    decode = function(buf)
      local i = buf:find("\n", 1, true)
      if i then return buf:sub(1, i - 1), i end
    end,
  }
  local reader = spawn(function() return c:recv(5) end)
  waitfor(reader, "waiting: recv")
  local framer = spawn(function() return frame.wrap(c, lines):recv() end)
  waitfor(framer, "waiting: recv frame")
  s:sendall("hello")
  eq(reader:join(), "hello")
  s:sendall("line\n")
  eq(framer:join(), "line")
end
