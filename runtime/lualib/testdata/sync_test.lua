-- The sync module: queues, events, locks, groups, wait_any, wait_all
-- (runtime/lualib/lua_test.go runs each test_* function).

local T = require("luatest")
local eq, pair, waitfor = T.eq, T.pair, T.waitfor

-- Every item comes out once, and each consumer sees each producer's items
-- in the order they were put.
function test_queue_producers_and_consumers_every_item_once_fifo_per_producer()
  local q = sync.queue(16)
  local producers, consumers = {}, {}
  for p = 1, 8 do
    producers[p] = spawn(function()
      for i = 1, 1000 do assert(q:put(p * 10000 + i)) end
    end)
  end
  local seen = {}
  for c = 1, 4 do
    consumers[c] = spawn(function()
      local last = {} -- what this consumer saw last of each producer
      while true do
        local v = q:get()
        if v == nil then return end
        assert(not seen[v], "item twice: " .. v)
        seen[v] = true
        local p, i = math.floor(v / 10000), v % 10000
        assert((last[p] or 0) < i, ("consumer %d, producer %d: %d after %d"):format(c, p, i, last[p] or 0))
        last[p] = i
      end
    end)
  end
  for p = 1, 8 do producers[p]:join() end
  q:close()
  for c = 1, 4 do consumers[c]:join() end
  local n = 0
  for _ in pairs(seen) do n = n + 1 end
  eq(n, 8000, "items received")
end

function test_queue_get_and_put_with_timeouts()
  local q = sync.queue(1)
  local t0 = monotonic()
  local v, err = q:get(0.02)
  eq(v, nil); eq(err, "timeout")
  assert(monotonic() - t0 >= 0.02, "waited the timeout")
  eq(q:put("a"), true)
  local ok, perr = q:put("b", 0.01)
  eq(ok, nil); eq(perr, "timeout", "full")
  eq(q:try_put("b"), nil)
  eq(select(2, q:try_put("b")), "full")
  eq(#q, 1); eq(q:len(), 1)
  eq(q:try_get(), "a")
  eq(select(2, q:try_get()), "empty")
  expect_raises("bad argument #2 to put (a queue cannot hold nil)", function() q:put(nil) end)
end

function expect_raises(want, fn)
  local ok, err = pcall(fn)
  eq(ok, false)
  eq((err:gsub("^<string>:%d+: ", "")), want)
end

function test_queue_close_wakes_every_waiter_and_drains_first()
  local q = sync.queue(1)
  local getters = {}
  for i = 1, 3 do getters[i] = spawn(function() return q:get() end) end
  local full = sync.queue(1)
  full:put("x")
  local putter = spawn(function() return full:put("y") end)
  q:close(); full:close()
  for i = 1, 3 do
    local v, err = getters[i]:join()
    eq(v, nil); eq(err, "closed", "getter " .. i)
  end
  eq(select(2, putter:join()), "closed", "a waiting put")
  eq(full:get(), "x", "what was queued still comes out")
  eq(select(2, full:get()), "closed")
  eq(select(2, q:put(1)), "closed", "put after close")
end

function test_queue_waiters_are_served_in_order()
  local q = sync.queue()
  local got = {}
  for i = 1, 4 do spawn(function() local v = q:get(); got[#got + 1] = i .. "=" .. v end) end
  for _, v in ipairs({"a", "b", "c", "d"}) do q:put(v) end
  sleep(0)
  eq(table.concat(got, ","), "1=a,2=b,3=c,4=d")
end

function test_a_waiting_queue_never_freezes_a_ticker()
  local ticks = 0
  local ticker = every(0.005, function() ticks = ticks + 1 end)
  local q = sync.queue()
  local v, err = q:get(0.06)
  ticker:cancel()
  eq(err, "timeout")
  assert(ticks >= 3, "the ticker ticked while get waited: " .. ticks)
end

function test_event_set_clear_wait()
  local ev = sync.event()
  eq(ev:is_set(), false)
  local waiters = {}
  for i = 1, 3 do waiters[i] = spawn(function() return ev:wait() end) end
  ev:set()
  for i = 1, 3 do eq(waiters[i]:join(), true) end
  eq(ev:wait(), true, "set: returns at once")
  ev:clear()
  eq(select(2, ev:wait(0.01)), "timeout")
end

function test_lock_keeps_multi_part_messages_whole()
  local c, s = pair()
  local lk = sync.lock()
  local writers = {}
  for w = 1, 4 do
    writers[w] = spawn(function()
      for i = 1, 5 do
        lk:with(function()
          c:send("<" .. w)
          sleep(0) -- a wait in the middle: others run, but not in here
          c:send(w .. ">")
        end)
      end
    end)
  end
  for w = 1, 4 do writers[w]:join() end
  c:close()
  local all = {}
  while true do
    local d = s:recv(100)
    if d == "" then break end
    all[#all + 1] = d
  end
  local text = table.concat(all)
  eq(#text, 4 * 5 * 4)
  eq(text:gsub("<(%d)%1>", ""), "", "every message whole")
end

function test_lock_with_releases_on_error_and_misuse_raises()
  local lk = sync.lock()
  local ok = pcall(lk.with, lk, function() error("boom") end)
  eq(ok, false)
  eq(lk:locked(), false, "released after the error")
  expect_raises("lock is not held by this task", function() lk:release() end)
  eq(lk:acquire(), true)
  local other = spawn(function() return lk:acquire(0.01) end)
  eq(select(2, other:join()), "timeout")
  lk:release()
end

function test_group_cancel_stops_every_member_and_closes_their_sockets()
  local g = sync.group()
  local c1, s1 = pair()
  local c2, s2 = pair()
  local helper
  g:spawn(function(sock)
    helper = spawn(function(other) other:recv(1) end, c2) -- joins the group
    sock:recv(1)
  end, c1)
  eq(#g, 2)
  g:cancel()
  eq(g:wait(1), true)
  eq(#g, 0)
  eq(s1:recv(1), "", "the member's socket closed")
  eq(s2:recv(1), "", "the helper's socket closed")
  eq(helper:status(), "cancelled")
end

function test_wait_any_and_wait_all()
  local q, ev = sync.queue(), sync.event()
  local slow = spawn(function() sleep(0.05) return "slow" end)
  spawn(function() sleep(0.01) q:put("item") end)
  local i, v = wait_any({slow, q, ev})
  eq(i, 2); eq(v, "item")
  ev:set()
  i, v = wait_any({slow, q, ev})
  eq(i, 3); eq(v, true)
  eq(select(2, wait_any({q}, 0.01)), "timeout")
  q:put("x")
  local r = wait_all({slow, ev, q})
  eq(r[1][1], "slow"); eq(r[1].n, 1)
  eq(r[2][1], true)
  eq(r[3][1], "x")
  local never = sync.event()
  q:put("kept")
  eq(select(2, wait_all({q, never}, 0.01)), "timeout")
  eq(q:get(), "kept", "an item got by a wait_all that timed out is put back")
end

-- A chat-style broadcaster: one client stops reading; the others get every
-- message and the stuck one is dropped when its bounded queue stays full.
function test_broadcaster_drops_a_client_that_stops_reading()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local clients, dropped = {}, {}
  local function add(conn, name)
    local out = sync.queue(8)
    local me = {name = name, out = out, conn = conn}
    clients[#clients + 1] = me
    spawn(function()
      while true do
        local line = out:get()
        if not line then break end
        if not conn:sendall(line .. "\n") then break end
      end
      conn:close()
    end)
  end
  local function broadcast(line)
    for i = #clients, 1, -1 do
      local c = clients[i]
      if not c.out:put(line, 0.05) then
        table.remove(clients, i)
        dropped[#dropped + 1] = c.name
        c.out:close()
        c.conn:close() -- its writer, stuck in sendall, gets "closed"
      end
    end
  end
  local readers = {}
  for i = 1, 3 do
    local conn = assert(socket.connect(srv:getsockname()))
    add(srv:accept(), "c" .. i)
    if i < 3 then
      readers[i] = spawn(function()
        local n = 0
        while true do
          local line = conn:recv_until("\n")
          if not line then return n end
          n = n + 1
        end
      end)
    else
      conn:settimeout(nil) -- c3 never reads: its socket buffers fill up
      readers[i] = conn
    end
  end
  -- 14 MB: more than the kernel buffers of c3's connection can hold.
  local big = string.rep("x", 48 * 1024)
  for k = 1, 300 do broadcast(k .. " " .. big) end
  eq(table.concat(dropped, ","), "c3", "the stuck client was dropped")
  for _, c in ipairs(clients) do c.out:close() end
  eq(readers[1]:join(), 300, "c1 got every message")
  eq(readers[2]:join(), 300, "c2 got every message")
  srv:close()
end
