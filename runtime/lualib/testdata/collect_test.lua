-- Sockets that no Lua value refers to any more are closed by the garbage
-- collector (issue 8): each test drops a socket, collects, and waits (with
-- a deadline) for the peer to see the end of the stream. Run by
-- ownership_test.go.

local T = require("luatest")
local eq = T.eq

-- DEADLINE bounds every wait for the end of a stream.
local DEADLINE = 5

-- expect_eof waits for s's peer to be closed: recv gives "" (or a reset).
local function expect_eof(s, what)
  s:settimeout(DEADLINE)
  local data, err = s:recv(1)
  if data == "" or err == "connection reset" then return end
  error(("%s: recv gave %q, %q; want the end of the stream"):format(what, tostring(data), tostring(err)), 2)
end

-- connect_and_forget opens a connection to addr and drops it.
local function connect_and_forget(addr)
  socket.connect(addr)
end

function test_a_dropped_connection_is_closed_after_a_collection()
  local srv = assert(socket.listen("127.0.0.1:0"))
  connect_and_forget(srv:getsockname())
  local s = assert(srv:accept())
  collectgarbage()
  expect_eof(s, "peer of the dropped connection")
end

function test_a_socket_left_open_by_a_task_that_returned_is_closed_once_dropped()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local addr = srv:getsockname()
  -- The task returns normally: its socket stays open (it might be stored
  -- somewhere) until nothing refers to it.
  spawn(function()
    local c = assert(socket.connect(addr))
    c:sendall("hi")
  end):join()
  local s = assert(srv:accept())
  eq(s:recv_exactly(2), "hi")
  collectgarbage()
  expect_eof(s, "peer of the task's socket")
end

function test_a_dropped_framed_socket_is_closed()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local addr = srv:getsockname()
  local function wrap_and_forget()
    local f = frame.wrap(assert(socket.connect(addr)), frame.header())
    f:send("bye")
  end
  wrap_and_forget()
  local s = assert(srv:accept())
  local f = frame.wrap(s, frame.header())
  eq(f:recv(), "bye")
  collectgarbage()
  expect_eof(s, "peer of the framed socket")
end

function test_a_dropped_listener_stops_listening()
  local function listen_and_forget()
    return assert(socket.listen("127.0.0.1:0")):getsockname()
  end
  local addr = listen_and_forget()
  collectgarbage()
  -- The cleanup runs after the collection: connect until refused, bounded.
  local t0 = monotonic()
  while true do
    local c, err = socket.connect(addr)
    if not c and err == "connection refused" then return end
    -- A connect that lands in the backlog as the listener closes is reset:
    -- the listener was still closing, so try again.
    if not c then eq(err, "connection reset") else c:close() end
    assert(monotonic() - t0 < DEADLINE, "the dropped listener still accepts after " .. DEADLINE .. " s")
    collectgarbage()
    sleep(0.01)
  end
end

function test_a_socket_still_referred_to_stays_open()
  local srv = assert(socket.listen("127.0.0.1:0"))
  kept = { assert(socket.connect(srv:getsockname())) }
  local s = assert(srv:accept())
  collectgarbage()
  collectgarbage()
  s:settimeout(0.2)
  local data, err = s:recv(1)
  eq(data, nil); eq(err, "timeout", "a socket in a global table is not collected")
  kept[1]:sendall("x")
  s:settimeout(DEADLINE)
  eq(s:recv(1), "x")
end
