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
  -- A joined task's error is the joiner's to handle: nothing on stderr.
  local t = spawn(function(x, y) sleep(0.001); return x + y, "sum" end, 2, 3)
  local r1, r2 = t:join()
  eq(r1, 5); eq(r2, "sum")
  eq(select("#", t:join()), 2, "joining again gives the same results")
  local bad = spawn(function() error({code = 42}) end)
  local r, err = bad:join()
  eq(r, nil); eq(type(err), "table"); eq(err.code, 42, "the error value itself")
  local failing = spawn(function() sleep(0.001); error("plain", 0) end)
  local _, msg = failing:join()
  eq(msg, "plain")
  eq(failing:status(), "failed: plain")
end

function test_unjoined_errors_are_reported_at_once()
  EXPECT_STDERR = "^task 2: <string>:\\d+: nobody joins me\nstack traceback:\n(.*\n)*task 3: later\nstack traceback:\n"
  spawn(function() error("nobody joins me") end) -- fails while spawn starts it
  sleep(0) -- the spawner waits without joining: reported now
  local later = spawn(function() sleep(0.001); error("later", 0) end)
  while later:status() ~= "failed: later" do sleep(0.001) end
end

function test_join_with_a_timeout()
  local t = spawn(function() sleep(10) end)
  local r, err = t:join(0.01)
  eq(r, nil); eq(err, "timeout")
  eq(t:status(), "waiting: sleep 10s", "the task goes on")
  t:cancel()
  eq(select(2, t:join(1)), "cancelled")
end

function test_join_self_raises()
  local ok, err = pcall(function() task.current():join() end)
  eq(ok, false)
  assert(err:find("a task cannot join itself", 1, true), err)
end

function test_cancel_stops_a_task_blocked_in_recv_and_closes_what_it_received_on()
  -- A socket belongs to the task that waits to receive on it: a handler
  -- that is cancelled (or fails) closes its connection, however it got it.
  local c, s = pair()
  local other, peer = pair()
  local t = spawn(function() return c:recv(10) end)
  waitfor(t, "waiting: recv")
  t:cancel()
  local r, err = t:join()
  eq(r, nil); eq(err, "cancelled")
  eq(t:status(), "cancelled")
  eq(s:recv(1), "", "the peer sees the end of the stream")
  peer:sendall("still open")
  eq(other:recv_exactly(10), "still open", "a socket the task never used survives")
end

function test_a_failing_handler_closes_the_connection_it_captured()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local client = assert(socket.connect(srv:getsockname()))
  local conn = srv:accept()
  local handler = spawn(function()
    local f = frame.wrap(conn, frame.header())
    for m in f:frames() do f:send(m) end
  end)
  client:send("xx        ") -- a bad header: frames() raises
  eq(select(2, handler:join()):match("bad header") ~= nil, true)
  eq(client:recv(1), "", "the handler's connection was closed")
  srv:close()
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

function test_cancel_stops_a_loop_that_yields()
  local spins = 0
  local t = spawn(function() while true do spins = spins + 1; yield() end end)
  yield()
  t:cancel()
  local _, err = t:join()
  eq(err, "cancelled")
  assert(spins >= 1, "it ran")
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

-- Code between two waits runs as one piece: no update is lost, however
-- the tasks interleave at their waits.
function test_counter_loses_no_increment()
  for _, pause in ipairs({"none", "yield", "send"}) do
    local t = {x = 0}
    local c, s = pair()
    local tasks = {}
    for i = 1, 20 do
      tasks[i] = spawn(function()
        for j = 1, 10000 do
          t.x = t.x + 1
          if pause == "yield" and j % 10 == 0 then yield() end
          if pause == "send" and j % 100 == 0 then c:send("x") end
        end
      end)
    end
    for i = 1, 20 do tasks[i]:join() end
    eq(t.x, 200000, "increments with pause " .. pause)
    c:close(); s:close()
  end
end

function test_spawn_runs_the_task_until_its_first_wait()
  local order = {}
  local t = spawn(function()
    order[#order + 1] = "task starts"
    yield()
    order[#order + 1] = "task goes on"
  end)
  order[#order + 1] = "spawn returned"
  t:join()
  eq(table.concat(order, ", "), "task starts, spawn returned, task goes on")
end

function test_spawn_then_connect_never_races()
  for _ = 1, 20 do
    local addr
    local srv = spawn(function()
      local ls = assert(socket.listen("127.0.0.1:0"))
      addr = ls:getsockname()
      local c = ls:accept()
      c:send("hello")
      c:close()
      ls:close()
    end)
    local c = assert(socket.connect(addr)) -- the server listens already
    eq(c:recv_exactly(5), "hello")
    c:close()
    srv:join()
  end
end

function test_yield_lets_spinning_tasks_share()
  local log = {}
  local function spinner(name)
    for i = 1, 3 do
      log[#log + 1] = name .. i
      yield()
    end
  end
  local a, b = spawn(spinner, "a"), spawn(spinner, "b")
  a:join(); b:join()
  eq(table.concat(log, ","), "a1,b1,a2,b2,a3,b3")
end

function test_ready_tasks_run_first_come_first_served()
  local ev = sync.event()
  local log = {}
  for i = 1, 5 do
    spawn(function() ev:wait(); log[#log + 1] = i end)
  end
  ev:set()
  sleep(0)
  eq(table.concat(log, ","), "1,2,3,4,5")
end

function test_coroutine_running_and_status_after_a_blocking_call()
  eq(coroutine.running(), nil, "a task's own thread is Lua's main thread")
  local c, s = pair()
  s:send("ab")
  local co
  co = coroutine.create(function()
    local before = coroutine.running()
    local data = c:recv_exactly(2)
    sleep(0.001)
    return before == coroutine.running(), coroutine.status(co), data
  end)
  local ok, same, status, data = coroutine.resume(co)
  eq(ok, true); eq(same, true); eq(status, "running"); eq(data, "ab")
  eq(coroutine.status(co), "dead")
end

function test_coroutine_outlives_the_task_that_made_it()
  local maker = spawn(function()
    return coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  end)
  local gen = maker:join()
  eq(maker:status(), "done")
  local got = spawn(function() return gen() + gen() end):join()
  eq(got, 3)
  eq(gen(), 3)
end

function test_coroutine_resumed_by_a_cancelled_task_stops()
  local co = coroutine.wrap(function() while true do yield() end end)
  local t = spawn(function() co() end)
  t:cancel()
  eq(select(2, t:join()), "cancelled")
end

function test_cancel_children_cancels_what_a_task_spawned()
  local c, s = pair()
  local child
  local parent = spawn(function()
    child = spawn(function(sock) sock:recv(1) end, s)
    sleep(100)
  end)
  parent:cancel({children = true})
  eq(select(2, parent:join()), "cancelled")
  eq(select(2, child:join()), "cancelled")
  eq(c:recv(1), "", "the child's socket closed with it")
end

function test_a_task_that_ends_holding_a_lock_lets_go_of_it()
  local lk = sync.lock()
  local holder = spawn(function() lk:acquire(); sleep(100) end)
  local waiter = spawn(function() return lk:acquire(5) end)
  holder:cancel()
  eq(waiter:join(), true)
end

-- sleep(math.huge) and other waits too long for a clock wait forever (they
-- returned at once); a negative or NaN time, or a period under 1 ms, is
-- refused with one message.
function test_timer_edge_cases()
  for _, forever in ipairs({math.huge, 1e10, 1e308}) do
    local t = spawn(function() sleep(forever) end)
    sleep(0.1)
    eq(t:status(), "waiting: sleep " .. tostring(forever) .. "s", "still waiting")
    t:cancel()
    eq(select(2, t:join()), "cancelled")
  end
  local cases = {
    {function() sleep(-1) end, "bad argument #1 to sleep (seconds must be >= 0)"},
    {function() sleep(0/0) end, "bad argument #1 to sleep (seconds must be >= 0)"},
    {function() after(-1, print) end, "bad argument #1 to after (seconds must be >= 0)"},
    {function() every(0/0, print) end, "bad argument #1 to every (seconds must be >= 0)"},
    {function() every(1e-10, print) end, "bad argument #1 to every (interval must be at least 0.001 s)"},
    {function() spawn(function() end):join(-1) end, "bad argument #2 to join (seconds must be >= 0)"},
    {function() sync.queue():get(0/0) end, "bad argument #2 to get (seconds must be >= 0)"},
    {function() socket.tcp():settimeout(-0.5) end, "bad argument #2 to settimeout (seconds must be >= 0)"},
  }
  for i, case in ipairs(cases) do
    local ok, err = pcall(case[1])
    eq(ok, false, "case " .. i .. " raised")
    eq((err:gsub("^<string>:%d+: ", "")), case[2], "case " .. i)
  end
  local tm = after(math.huge, function() error("never") end)
  tm:cancel()
end
