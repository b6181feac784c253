-- replay.peer on the virtual network (replay_test.go runs this file with
-- netplay test). Two real sessions, recorded with the real binary:
--
-- part2_client.jsonl: part2/header_client against part2/header_server
-- with a time message every second, recorded on the client, as the
-- README's "Record and replay" does:
--   netplay run part2/header_server 5613 1 &
--   netplay --record part2_client.jsonl run part2/header_client 5613 3
-- Played back as the server to the real client script, it gives the
-- client the recorded bytes at the recorded moments: with speed = 1 the
-- two one-second pauses are kept, in virtual time, costing no wall time.
--
-- ping_both.jsonl: ping_client.lua (beside this file) and
-- bench/pingpong_server in one process, so it holds both ends and plays
-- either way:
--   netplay --record ping_both.jsonl -e 'local s = spawn(run, "bench/pingpong_server", "5614")
--     run("testdata/replay/ping_client.lua", "5614", "ping 1", "ping 2") s:cancel()'
testing.virtual_time()

-- The recordings are beside this file, wherever netplay test runs from.
local HERE = debug.getinfo(1, "S").source:match("^@?(.*)/") or "."
local RECORDING = HERE .. "/part2_client.jsonl"
local PING = HERE .. "/ping_both.jsonl"

-- What the client printed in the recorded session.
local OUTPUT = [[
new message length: 22
full message received
Welcome to the server!
new message length: 29
full message received
The time is 1796115697.211754
new message length: 29
full message received
The time is 1796115698.211844
]]

-- frames_received calls the client's frame events, as the trace sees
-- them, and returns a list of "seconds since the test began: message".
local function frames_received()
  local seen = {}
  trace(function(ev)
    if ev.event == "frame" and ev.dir == "in" then
      seen[#seen + 1] = ("%.6f: %s"):format(ev.time - 1767225600, ev.data)
    end
  end)
  return seen
end

function test_recorded_pauses_are_kept_in_virtual_time()
  local seen = frames_received()
  local p = assert(replay.peer(RECORDING, {speed = 1}))
  run("part2/header_client", p.addr, "3")
  expect.eq(testing.output(), OUTPUT)
  expect.eq(p:wait(), true)
  -- The recorded times between the server's writes (seconds since the
  -- recorded connect: 0.000277, 1.001399, 2.001415), to the microsecond.
  expect.eq(("%.6f"):format(monotonic()), "2.001415")
  trace(false)
  expect.eq(seen, {
    "0.000277: Welcome to the server!",
    "1.001399: The time is 1796115697.211754",
    "2.001415: The time is 1796115698.211844",
  })
end

function test_without_speed_nothing_waits()
  local seen = frames_received()
  local p = assert(replay.peer(RECORDING))
  run("part2/header_client", p.addr, "3")
  expect.eq(testing.output(), OUTPUT)
  expect.eq(p:wait(), true)
  expect.eq(monotonic(), 0)
  trace(false)
  expect.eq(seen, {
    "0.000000: Welcome to the server!",
    "0.000000: The time is 1796115697.211754",
    "0.000000: The time is 1796115698.211844",
  })
end

-- A client that leaves after two messages is a difference, found at the
-- virtual moment the third message was due.
function test_a_client_that_leaves_early()
  local p = assert(replay.peer(RECORDING, {speed = 1}))
  run("part2/header_client", p.addr, "2")
  local ok, report = p:wait()
  expect.eq(ok, nil)
  expect.eq(report, "c1: the client was gone before it had received everything (it closed the connection): netplay had 39 more bytes to send, from offset 71 of its stream\n" ..
    "  recorded as event 6: c1 recv of 39 bytes at offset 71")
  expect.eq(("%.6f"):format(monotonic()), "2.001415")
end

-- What the client sends is checked on the virtual network too.
function test_a_client_that_talks()
  local p = assert(replay.peer(PING))
  run("ping_client.lua", p.addr, "ping 1", "ping 2")
  expect.eq(testing.output(), "pong 1\npong 2\n")
  expect.eq(p:wait(), true)
end

function test_a_client_that_sends_one_byte_otherwise()
  local p = assert(replay.peer(PING))
  run("ping_client.lua", p.addr, "ping 1", "ping 3")
  expect.eq(testing.output(), "pong 1\nno reply: closed\n")
  local ok, report = p:wait()
  expect.eq(ok, nil)
  expect.eq(report:match("^[^\n]*"), "c1: the client sent 0x33 '3' at offset 12 where the recording has 0x32 '2'")
end

-- As the client, against the real server script on the virtual network.
function test_playing_the_client()
  local addr = testing.free_addr()
  local server = spawn(run, "bench/pingpong_server", addr)
  testing.cleanup(function() server:cancel{children = true} end)
  local p = assert(replay.peer(PING, {as = "client", addr = addr}))
  expect.eq(p:wait(), true)
end

-- The replay's timeouts are virtual too: a client that never comes, or
-- comes and says nothing, is reported at exactly the timeout.
function test_no_client_in_time()
  local p = assert(replay.peer(PING, {timeout = 5}))
  local ok, report = p:wait()
  expect.eq(ok, nil)
  expect.eq(report, "c1: no connection from the client within 5s (0 of the recording's connections came)\n" ..
    "  recorded as event 2: c1 connect")
  expect.eq(monotonic(), 5)
end

function test_a_silent_client()
  local p = assert(replay.peer(PING, {timeout = 5}))
  local c = assert(socket.connect(p.addr))
  local ok, report = p:wait()
  expect.eq(ok, nil)
  expect.eq(report:match("^[^\n]*"), "c1: nothing from the client for 5s at offset 0; the recording has 7 more bytes")
  expect.eq(monotonic(), 5)
  c:close()
end
