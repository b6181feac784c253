-- Structured codecs: a frame.new decoder may return any Lua value, and
-- f:recv() hands it over as it is (runtime/lualib/peek_test.go).

local T = require("luatest")
local eq, pair, raises = T.eq, T.pair, T.raises

-- record decodes "k=v;k=v\n" into a table {k = v, ...}.
local function record_codec()
  return frame.new{
    name = "record",
    encode = function(line) return line .. "\n" end,
    decode = function(buf)
      local nl = buf:find("\n", 1, true)
      if not nl then return nil end
      local t = {}
      for k, v in buf:sub(1, nl - 1):gmatch("([^=;]+)=([^;]*)") do
        t[k] = tonumber(v) or v
      end
      if next(t) == nil then return nil, "bad record: no key=value" end
      return t, nl
    end,
  }
end

function test_decode_returns_a_table()
  local codec = record_codec()
  local t, used = codec:decode("name=ann;age=3\nrest")
  eq(type(t), "table"); eq(t.name, "ann"); eq(t.age, 3); eq(used, 15)
  eq(codec:decode("name=ann"), nil, "need more")
  local m, err = codec:decode("junk\n")
  eq(m, nil); eq(err, "bad record: no key=value")
end

function test_recv_returns_the_decoded_value()
  local c, s = pair()
  local f = frame.wrap(c, record_codec())
  assert(s:sendall("name=ann;age=3\nname=bob;"))
  local t = f:recv()
  eq(t.name, "ann"); eq(t.age, 3)
  assert(s:sendall("age=40\n"))
  t = f:recv()
  eq(t.name, "bob"); eq(t.age, 40, "a record split over two writes")
  assert(s:sendall("bad\n"))
  local m, err = f:recv()
  eq(m, nil); eq(err, "bad record: no key=value")
end

function test_frames_iterator_yields_values()
  local c, s = pair()
  assert(s:sendall("n=1\nn=2\nn=3\n"))
  s:close()
  local sum = 0
  for t in frame.wrap(c, record_codec()):frames() do sum = sum + t.n end
  eq(sum, 6)
end

-- Numbers, booleans (false too) and userdata pass through; only nil means
-- "need more".
function test_any_value_but_nil()
  local values = {42, false, true, json.null}
  local i = 0
  local codec = frame.new{
    encode = function(m) return m end,
    decode = function(buf) i = i + 1; return values[i], 1 end,
  }
  local c, s = pair()
  assert(s:sendall("abcd"))
  local f = frame.wrap(c, codec)
  eq(f:recv(), 42); eq(f:recv(), false); eq(f:recv(), true); eq(f:recv(), json.null)
end

-- A structured frame is bounded by the buffer it is decoded from: a
-- decoder that never finds one stops at the maximum.
function test_structured_frames_are_bounded()
  local never = frame.new{
    encode = function(m) return m end,
    decode = function(buf) return nil end,
  }
  local c, s = pair()
  local f = frame.wrap(c, never, {max = 4096})
  local sender = spawn(function() s:sendall(string.rep("x", 64 * 1024)) end)
  local m, err = f:recv()
  eq(m, nil); eq(err, "frame too large")
  c:close(); sender:join()
end

function test_bad_used_raises()
  local bad = frame.new{
    name = "bad",
    encode = function(m) return m end,
    decode = function(buf) return {}, 0.5 end,
  }
  raises("codec bad: decode must return msg, used (1..3), got used 0.5", function() bad:decode("abc") end)
end
