-- Part IV's chat room, tested (netplay test scripts/part4), in virtual
-- time: the test is every client, with header-framed sockets of its own,
-- and the server's patience passes in no time.

testing.virtual_time()

-- start runs chat_server.lua (beside this file) on a free port with
-- QUEUE and PATIENCE, until the end of the test.
local function start(queue, patience)
  local addr = testing.free_addr()
  local server = spawn(run, "chat_server.lua", addr, queue, patience)
  testing.cleanup(function() server:cancel{children = true} end)
  return addr
end

-- join connects as name and returns the framed socket.
local function join(addr, name)
  local f = frame.wrap(assert(socket.connect(addr)), frame.header(10))
  assert(f:send(name))
  return f
end

-- nothing checks that f has nothing more to read just now.
local function nothing(f, who)
  f.sock:settimeout(0.1)
  local msg, err = f:recv()
  f.sock:settimeout(nil)
  expect.eq(msg, nil, who .. " got " .. tostring(msg))
  expect.eq(err, "timeout")
end

function test_names_are_refused_when_empty_too_long_or_taken()
  local addr = start()
  local ann = join(addr, "ann")
  expect.eq(ann:recv(), "welcome, ann! nobody else is here yet")
  for _, case in ipairs({{"ann", "ann is taken"}, {"", "empty"}, {string.rep("x", 21), "longer than 20 bytes"}}) do
    local f = join(addr, case[1])
    expect.eq(f:recv(), "name refused: " .. case[2])
    local _, err = f:recv()
    expect.eq(err, "closed", "and the connection closes")
  end
  nothing(ann, "ann")
end

function test_messages_reach_every_other_client_and_leaves_are_announced()
  local addr = start()
  local ann, bob = join(addr, "ann"), join(addr, "bob")
  expect.eq(ann:recv(), "welcome, ann! nobody else is here yet")
  expect.eq(bob:recv(), "welcome, bob! also here: ann")
  expect.eq(ann:recv(), "* bob joined")
  local carol = join(addr, "carol")
  expect.eq(carol:recv(), "welcome, carol! also here: ann, bob")
  assert(bob:send("hi all"))
  expect.eq(ann:recv(), "* carol joined")
  expect.eq(ann:recv(), "bob > hi all")
  expect.eq(carol:recv(), "bob > hi all")
  carol:close()
  expect.eq(ann:recv(), "* carol left")
  expect.eq(bob:recv(), "* carol joined")
  expect.eq(bob:recv(), "* carol left")
  nothing(bob, "bob (never his own message)")
end

-- dave never reads: once his queue (4) and the buffers under it are full,
-- a put waits the server's patience (2 s) and dave is dropped. ann loses
-- nothing meanwhile.
function test_a_client_that_stops_reading_is_dropped()
  local addr = start("4", "2")
  local ann, bob = join(addr, "ann"), join(addr, "bob")
  expect.eq(ann:recv(), "welcome, ann! nobody else is here yet")
  expect.eq(ann:recv(), "* bob joined")
  local dave = join(addr, "dave")
  expect.eq(ann:recv(), "* dave joined")
  local got = {}
  local reader = spawn(function()
    repeat
      local msg = assert(ann:recv())
      got[#got + 1] = msg
    until msg == "bob > done"
  end)
  local big = string.rep("x", 32 * 1024)
  local want = {}
  for i = 1, 40 do
    assert(bob:send(i .. " " .. big))
    want[#want + 1] = "bob > " .. i .. " " .. big
  end
  assert(bob:send("done"))
  want[#want + 1] = "bob > done"
  reader:join()
  local drops = 0
  for i = #got, 1, -1 do
    if got[i] == "* dave was dropped (not reading)" then
      table.remove(got, i)
      drops = drops + 1
    end
  end
  expect.eq(drops, 1, "ann is told once")
  expect.eq(#got, #want, "ann got every message")
  for i = 1, #want do expect.eq(got[i], want[i]) end
  expect.eq(bob:recv(), "welcome, bob! also here: ann")
  expect.eq(bob:recv(), "* dave joined")
  expect.eq(bob:recv(), "* dave was dropped (not reading)")
  expect.truthy(testing.output():find("dave dropped: not reading\n", 1, true), "the server's log says so")
end

-- chat_client.lua (beside this file): standard input is empty here, so it
-- joins, prints what it gets and leaves at once.
function test_client_script_joins_and_leaves()
  local addr = start()
  local ann = join(addr, "ann")
  expect.eq(ann:recv(), "welcome, ann! nobody else is here yet")
  run("chat_client.lua", addr, "zoe")
  expect.eq(ann:recv(), "* zoe joined")
  expect.eq(ann:recv(), "* zoe left")
  local out = testing.output():gsub("127%.0%.0%.1:%d+", "ADDR")
  expect.eq(out, "ann joined from ADDR\nzoe joined from ADDR\nwelcome, zoe! also here: ann\nzoe left\n(disconnected: closed)\n")
end
