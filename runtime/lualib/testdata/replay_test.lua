-- The replay module: a recording as a mock peer (runtime/lualib/replay_test.go
-- records testdata/replay/session.lua, both ends of a line protocol whose
-- server answers in capitals, and sets RECORDING to the file).

local T = require("luatest")
local eq = T.eq

-- client talks to addr as the recorded client did, with words of its own.
local function client(addr, words)
  local f = frame.wrap(assert(socket.connect(addr)), frame.line())
  local replies = {}
  for _, w in ipairs(words) do
    f:send(w)
    local reply, err = f:recv()
    replies[#replies + 1] = reply or err
    if not reply then break end
  end
  f.sock:shutdown("w")
  f:recv()
  f:close()
  return table.concat(replies, " ")
end

-- upper_server serves one client as the recorded server did, through
-- answer; it returns its address and task.
local function upper_server(answer)
  local srv = assert(socket.listen("127.0.0.1:0"))
  local t = spawn(function()
    local f = frame.wrap(assert(srv:accept()), frame.line())
    srv:close()
    for line in f:frames() do f:send(answer(line)) end
    f:close()
  end)
  return srv:getsockname(), t
end

function test_peer_plays_the_server()
  local p = assert(replay.peer(RECORDING))
  eq(p.as, "server", "p.as")
  assert(p.addr:match("^127%.0%.0%.1:%d+$"), p.addr)
  eq(client(p.addr, {"hello", "replay"}), "HELLO REPLAY", "replies")
  eq(p:wait(), true, "wait")
  eq(tostring(p):match(": (%a+)>$"), "matched", "tostring")
end

function test_peer_reports_the_first_different_byte()
  local p = assert(replay.peer(RECORDING))
  eq(client(p.addr, {"hellp", "replay"}), "closed", "replies")
  local ok, report = p:wait()
  eq(ok, nil, "ok")
  local lines = {}
  for l in report:gmatch("[^\n]+") do lines[#lines + 1] = l end
  -- The client's connection is c1 or c2: the two ends of the recorded
  -- session were named in the order their events came.
  local conn = lines[1]:match("^(c%d): ")
  eq(lines[1], conn .. ": the client sent 0x70 'p' at offset 4 where the recording has 0x6f 'o'", "report")
  assert(lines[2]:match("^  recorded as event %d+: " .. conn .. " send of 6 bytes at offset 0$"), lines[2])
  eq(lines[4], "    00000000: 6865 6c6c 6f0a 7265 706c 6179 0a         hello.replay.", "expected")
  eq(lines[7], "    00000000: 6865 6c6c 700a                           hellp.", "received")
end

function test_peer_plays_the_client()
  local addr, server = upper_server(string.upper)
  local p = assert(replay.peer(RECORDING, {as = "client", addr = addr}))
  eq(p:wait(), true, "wait")
  server:join()
end

function test_peer_as_client_against_another_server()
  local addr, server = upper_server(string.lower)
  local p = assert(replay.peer(RECORDING, {as = "client", addr = addr, timeout = 5}))
  local ok, report = p:wait()
  eq(ok, nil, "ok")
  eq(report:match("^c%d: ([^\n]+)"), "the server sent 0x68 'h' at offset 0 where the recording has 0x48 'H'", "report")
  server:join()
end

-- A task of the script and the peer take turns: a client that waits
-- between messages still matches.
function test_peer_runs_beside_other_tasks()
  local p = assert(replay.peer(RECORDING))
  local ticks = 0
  local ticker = every(0.001, function() ticks = ticks + 1 end)
  local f = frame.wrap(assert(socket.connect(p.addr)), frame.line())
  f:send("hello")
  eq(f:recv(), "HELLO", "first reply")
  sleep(0.02)
  f:send("replay")
  eq(f:recv(), "REPLAY", "second reply")
  f.sock:shutdown("w")
  f:recv()
  f:close()
  eq(p:wait(), true, "wait")
  ticker:cancel()
  assert(ticks > 0, "the ticker never ran")
end

function test_peer_wait_timeout_and_close()
  local p = assert(replay.peer(RECORDING))
  local ok, err = p:wait(0.01)
  eq(ok, nil, "ok")
  eq(err, "timeout", "err")
  p:close()
  ok, err = p:wait()
  eq(err, "closed", "after close")
  local c, cerr = socket.connect(p.addr)
  eq(c, nil, "connect after close")
  eq(cerr, "connection refused", "connect error")
  p:close() -- harmless
end

function test_peer_without_a_client_times_out()
  local p = assert(replay.peer(RECORDING, {timeout = 0.05}))
  local ok, report = p:wait()
  assert(report:match("^(c%d): no connection from the client within 0%.05s %(0 of the recording's connections came%)\n  recorded as event %d: %1 connect$"), report)
end

function test_peer_errors()
  local p, err = replay.peer("testdata/replay/no-such-file.jsonl")
  eq(p, nil, "missing file")
  eq(err, "open testdata/replay/no-such-file.jsonl: no such file or directory", "missing file error")
  p, err = replay.peer("testdata/replay/session.lua")
  eq(p, nil, "not a recording")
  assert(err:match("^testdata/replay/session.lua: line 1: not JSON"), err)
  p, err = replay.peer(RECORDING, {as = "client", addr = "8.8.8.8:53"})
  eq(p, nil, "remote address")
  eq(err, "8.8.8.8:53: not a loopback or private address", "remote address error")
  local function peer(opts) return replay.peer(RECORDING, opts) end
  T.raises([[bad argument #2 to peer (as must be "server" or "client")]], peer, {as = "both"})
  T.raises([[bad argument #2 to peer ({as = "client"} needs addr, the live server's address)]], peer, {as = "client"})
  T.raises("bad argument #2 to peer (timeout must be more than 0 seconds)", peer, {timeout = 0})
end
