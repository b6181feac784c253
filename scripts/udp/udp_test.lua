-- The UDP echo server and client, tested (netplay test scripts/udp), in
-- virtual time: the client's timeouts pass in no time, and the
-- datagrams, the losses and the retries come out the same on every run.

testing.virtual_time()

-- start runs echo_server.lua (beside this file), dropping every DROPth
-- datagram, until the end of the test.
local function start(drop)
  local addr = testing.free_addr("udp")
  local server = spawn(run, "echo_server.lua", addr, drop)
  testing.cleanup(function() server:cancel() end)
  return addr
end

-- lines returns what was printed, ports as PORT, without the server's
-- own lines when only is "client".
local function printed(only)
  local out = testing.output():gsub("127%.0%.0%.1:%d+", "127.0.0.1:PORT")
  if only == "client" then out = out:gsub("udp echo server on [^\n]*\n", ""):gsub("datagram %d+ from [^\n]*\n", "") end
  return out
end

function test_every_datagram_comes_back_whole()
  local addr = start("0")
  run("client.lua", addr)
  expect.eq(printed(), [[
udp echo server on 127.0.0.1:PORT
datagram 1 from 127.0.0.1:PORT, 7 bytes: echoed
reply "1 hello", 7 bytes in one datagram
datagram 2 from 127.0.0.1:PORT, 33 bytes: echoed
reply "2 datagrams keep their boundaries", 33 bytes in one datagram
datagram 3 from 127.0.0.1:PORT, 5 bytes: echoed
reply "3 bye", 5 bytes in one datagram
]])
end

function test_a_lost_datagram_is_sent_again()
  local addr = start("2")
  local t0 = monotonic()
  run("client.lua", addr, "0.5", "3")
  expect.eq(printed("client"), [[
reply "1 hello", 7 bytes in one datagram
no reply to "2 datagrams keep their boundaries" within 0.5 s (try 1 of 3)
reply "2 datagrams keep their boundaries", 33 bytes in one datagram
no reply to "3 bye" within 0.5 s (try 1 of 3)
reply "3 bye", 5 bytes in one datagram
]])
  expect.near(monotonic() - t0, 1.0, 0.01, "two timeouts of 0.5 s")
end

-- Nobody answers: three tries a message, the wait doubling, then give up.
function test_timeouts_back_off_then_give_up()
  local silent = socket.udp()
  assert(silent:bind("127.0.0.1:0"))
  local t0 = monotonic()
  run("client.lua", silent:getsockname(), "0.1", "3")
  local want = {}
  for _, req in ipairs({"1 hello", "2 datagrams keep their boundaries", "3 bye"}) do
    want[#want + 1] = ('no reply to "%s" within 0.1 s (try 1 of 3)\n'):format(req)
    want[#want + 1] = ('no reply to "%s" within 0.2 s (try 2 of 3)\n'):format(req)
    want[#want + 1] = ('no reply to "%s" within 0.4 s (try 3 of 3)\n'):format(req)
    want[#want + 1] = ('gave up on "%s": no reply after 3 tries\n'):format(req)
  end
  expect.eq(printed(), table.concat(want))
  expect.near(monotonic() - t0, 3 * 0.7, 0.01, "0.1 + 0.2 + 0.4 s a message")
  silent:settimeout(0)
  local n = 0
  while silent:recvfrom(100) do n = n + 1 end
  expect.eq(n, 9, "the silent peer got every try")
end
