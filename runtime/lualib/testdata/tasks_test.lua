-- Tasks and blocking calls, specified in Lua (runtime/lualib/lua_test.go).

local T = require("luatest")
local eq, pair, waitfor = T.eq, T.pair, T.waitfor

-- A peer task that sends msg after the reader has blocked, so every
-- blocking call below really waits.
local function later(s, msg)
  return spawn(function()
    sleep(0.01)
    s:sendall(msg)
  end)
end

function test_blocking_inside_pcall()
  local c, s = pair()
  later(s, "hello")
  local ok, v = pcall(function() return c:recv_exactly(5) end)
  eq(ok, true); eq(v, "hello")
  local ok2, v2 = pcall(sleep, 0.001)
  eq(ok2, true); eq(v2, nil)
end

function test_blocking_inside_xpcall()
  local c, s = pair()
  later(s, "hi!")
  local ok, v = xpcall(function() return c:recv_exactly(3) end, debug.traceback)
  eq(ok, true); eq(v, "hi!")
end

function test_error_after_blocking_inside_pcall()
  local ok, err = pcall(function() sleep(0.001); error("boom", 0) end)
  eq(ok, false); eq(err, "boom")
end

function test_blocking_inside_coroutine_wrap()
  local c, s = pair()
  local gen = coroutine.wrap(function()
    for i = 1, 3 do
      coroutine.yield(c:recv_exactly(2))
    end
  end)
  later(s, "aabbcc")
  eq(gen(), "aa"); eq(gen(), "bb"); eq(gen(), "cc")
end

function test_blocking_inside_index_metamethod()
  local c, s = pair()
  local remote = setmetatable({}, {__index = function(_, key)
    c:sendall(key .. "\n")
    return c:recv_until("\n")
  end})
  local echo = spawn(function()
    for _ = 1, 2 do
      s:sendall(s:recv_until("\n"):upper() .. "\n")
    end
  end)
  eq(remote.hello, "HELLO"); eq(remote.world, "WORLD")
  echo:join()
end

function test_blocking_inside_generic_for_iterator()
  local c, s = pair()
  local function lines(sock)
    return function()
      local line = sock:recv_until("\n")
      return line
    end
  end
  spawn(function()
    sleep(0.01)
    s:sendall("a\nb\nc\n")
    s:close()
  end)
  local got = {}
  for line in lines(c) do got[#got + 1] = line end
  eq(table.concat(got, ","), "a,b,c")
end

function test_tasks_share_a_table()
  local shared = {}
  local function writer(tag)
    for i = 1, 5 do
      shared[#shared + 1] = tag .. i
      sleep(0)
    end
  end
  local a, b = spawn(writer, "a"), spawn(writer, "b")
  a:join(); b:join()
  eq(#shared, 10)
  local seen = {}
  for _, v in ipairs(shared) do seen[v] = true end
  eq(seen.a5 and seen.b5, true)
end

function test_join_returns_results_and_errors()
  -- An uncaught error is reported on stderr even when the task is joined.
  EXPECT_STDERR = "^task 3: table: 0x[0-9a-f]+\nstack traceback:\n(.*\n)*task 4: plain\nstack traceback:\n"
  local t = spawn(function(x, y) sleep(0.001); return x + y, "sum" end, 2, 3)
  local r1, r2 = t:join()
  eq(r1, 5); eq(r2, "sum")
  eq(select("#", t:join()), 2, "joining again gives the same results")
  local bad = spawn(function() error({code = 42}) end)
  local r, err = bad:join()
  eq(r, nil); eq(type(err), "table"); eq(err.code, 42, "the error value itself")
  local failing = spawn(function() error("plain", 0) end)
  local _, msg = failing:join()
  eq(msg, "plain")
end

function test_join_self_raises()
  local ok, err = pcall(function() task.current():join() end)
  eq(ok, false)
  assert(err:find("a task cannot join itself", 1, true), err)
end

function test_cancel_stops_a_task_blocked_in_recv_and_closes_nothing_it_does_not_own()
  local c, s = pair()
  local t = spawn(function() return c:recv(10) end)
  waitfor(t, "waiting: recv")
  t:cancel()
  local r, err = t:join()
  eq(r, nil); eq(err, "cancelled")
  eq(t:status(), "done")
  s:sendall("still open")
  eq(c:recv_exactly(10), "still open", "the socket owned by main survives")
end

function test_cancel_closes_what_the_task_owns()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local t = spawn(function()
    local mine = assert(socket.connect(srv:getsockname()))
    mine:recv(1)
  end)
  local conn = assert(srv:accept())
  waitfor(t, "waiting: recv")
  t:cancel()
  t:join()
  eq(conn:recv(1), "", "the peer sees EOF: the task's own socket was closed")
end

function test_spawn_hands_socket_arguments_to_the_task()
  local c, s = pair()
  local t = spawn(function(sock) sock:recv(1) end, c)
  waitfor(t, "waiting: recv")
  t:cancel()
  t:join()
  eq(s:recv(1), "", "the handed-over socket closed with its cancelled task")
end

function test_spawn_hands_a_framed_socket_to_the_task()
  local c, s = pair()
  local t = spawn(function(f) f:recv() end, frame.wrap(c, frame.line()))
  waitfor(t, "waiting: recv frame")
  t:cancel()
  t:join()
  eq(s:recv(1), "", "the framed socket's socket closed with its cancelled task")
end

function test_cancel_stops_a_busy_loop()
  local t = spawn(function() while true do end end)
  sleep(0.01)
  t:cancel()
  local _, err = t:join()
  eq(err, "cancelled")
end

function test_busy_loop_inside_a_coroutine_does_not_starve_others()
  for _, make in ipairs({coroutine.wrap, function(f)
    local co = coroutine.create(f)
    return function() return coroutine.resume(co) end
  end}) do
    local ran = false
    local busy = spawn(function()
      make(function() while true do end end)()
    end)
    local other = spawn(function() ran = true end)
    other:join() -- would never return if the busy coroutine kept the lock
    eq(ran, true)
    busy:cancel()
    eq(select(2, busy:join()), "cancelled")
  end
end

function test_cancelled_task_ignoring_errors_still_stops()
  local t = spawn(function()
    while true do pcall(sleep, 10) end
  end)
  waitfor(t, "waiting: sleep 10s")
  t:cancel()
  eq(select(2, t:join()), "cancelled")
end

function test_after_and_every()
  local ticks, fired = {}, false
  local finished = spawn(function() sleep(10) end)
  local function check()
    if #ticks == 3 and fired then finished:cancel() end
  end
  local tm
  tm = every(0.01, function()
    ticks[#ticks + 1] = "tick" .. (#ticks + 1)
    if #ticks == 3 then tm:cancel() end -- the callback still runs to its end
    check()
  end)
  after(0.001, function() fired = true; check() end)
  finished:join()
  eq(table.concat(ticks, ","), "tick1,tick2,tick3")
  local never = after(10, function() error("must not run") end)
  never:cancel()
end

function test_now_and_monotonic()
  local t = now()
  assert(t > 1.7e9 and t < 4e9, "now() is seconds since the epoch: " .. t)
  assert(t ~= math.floor(t) or now() ~= t, "now() has a fraction")
  local m0 = monotonic()
  sleep(0.02)
  local d = monotonic() - m0
  assert(d >= 0.02, "monotonic advanced " .. d)
end
