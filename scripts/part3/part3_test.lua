-- Part III's server and client, tested (netplay test scripts/part3), in
-- virtual time on the in-process network.

testing.virtual_time()

-- start runs object_server.lua (beside this file) on a free port, until
-- the end of the test.
local function start()
  local addr = testing.free_addr()
  local server = spawn(run, "object_server.lua", addr)
  testing.cleanup(function() server:cancel() end)
  return addr
end

function test_client_rebuilds_the_table()
  local addr = start()
  run("object_client.lua", addr)
  local out = testing.output():gsub("connection from [%d.]+:%d+ has been established!\n", "")
  expect.eq(out, [[
new message length: 156
{
  done = false,
  numbers = {1, 2, 3.5, -40},
  ok = true,
  player = {
    items = {"sword", "map"},
    level = 7,
    name = "ann",
    position = {
      x = 1.5,
      y = -2,
    },
  },
  seed = {"hi", "there"},
}
player ann is at level 7 and carries a map
]])
end

-- On the wire: JSON in a 10-byte header frame, keys sorted, so encoding
-- what was decoded gives the same bytes back.
function test_the_wire_carries_json_in_a_header_frame()
  local addr = start()
  local f = frame.wrap(assert(socket.connect(addr)), frame.header(10))
  local msg = assert(f:recv())
  local obj = assert(json.decode(msg))
  expect.eq(obj.player.items, {"sword", "map"})
  expect.eq(obj.numbers[3], 3.5)
  expect.eq(json.encode(obj), msg)
  local rest, err = f:recv()
  expect.eq(err, "closed", "one object, then the server hangs up")
end

-- A peer may send anything: the client says what is wrong and stops.
function test_client_refuses_what_it_cannot_use()
  for _, case in ipairs({
    {'{"player": ann}', "new message length: 15\nbad message: json: invalid character 'a' looking for beginning of value at line 1, column 12\n"},
    {"[1, 2]", "new message length: 6\nunexpected message: [1, 2]\n"},
  }) do
    local addr, srv = testing.server(function(conn)
      frame.wrap(conn, frame.header(10)):send(case[1])
      conn:close()
    end)
    local before = #testing.output()
    run("object_client.lua", addr)
    expect.eq(testing.output():sub(before + 1), case[2])
    srv:close()
  end
end
