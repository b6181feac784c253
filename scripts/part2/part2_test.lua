testing.virtual_time()

-- Part II's server and client, tested (netplay test scripts/part2).
--
-- Under virtual time: the server's 3-second ticker delivers ten messages
-- in milliseconds, at exactly 3 s intervals, and every run prints the
-- same ports and timestamps. The clients are checked against servers that
-- write the bytes the way a test needs them to arrive: whole, two frames
-- in one write, a header cut in two, a message cut by the end of the
-- stream.
-- At the end, the same clients under sock:shape: header_client reads
-- every message intact under split=1, split=3 and coalesce; the seed's
-- naive loop does not.

local HEADERSIZE = 10

-- start_server runs header_server.lua (the file beside this one) as a
-- task with the given interval and returns its address; it is stopped
-- at the end of the test.
local function start_server(interval)
  local addr = testing.free_addr()
  local srv = spawn(run, "header_server.lua", addr, tostring(interval))
  testing.cleanup(function() srv:cancel(); srv:join() end)
  return addr
end

-- header is the tutorial's framing: the length, left-aligned in 10 bytes.
local function header(msg)
  return ("%-10d"):format(#msg) .. msg
end

-- serve_chunks starts a server that writes each chunk as its own write,
-- 10 ms apart (so each arrives as its own read), then closes.
local function serve_chunks(chunks)
  return testing.server(function(conn)
    for i, chunk in ipairs(chunks) do
      if i > 1 then sleep(0.01) end
      conn:sendall(chunk)
    end
    conn:close()
  end)
end

-- client_output runs header_client.lua against addr and returns what it
-- printed, and the error it ended with: "os.exit(1)" when it exits with
-- status 1 (os.exit raises in a test).
local function client_output(addr, ...)
  local before = #testing.output()
  local ok, err = pcall(run, "header_client.lua", addr, ...)
  return testing.output():sub(before + 1), not ok and err:match("os%.exit%(%d+%)") or err
end

-- lines joins its arguments, a newline after each.
local function lines(...)
  return table.concat({...}, "\n") .. "\n"
end

function test_ten_ticks_of_three_seconds()
  local addr = start_server(3)
  local f = frame.wrap(assert(socket.connect(addr)), frame.header())
  expect.eq(f:recv(), "Welcome to the server!")
  for i = 1, 10 do
    expect.eq(f:recv(), ("The time is %.6f"):format(1767225600 + 3 * i))
    expect.eq(monotonic(), 3 * i)
  end
  f:close()
end

function test_server_and_client_scripts_exchange_ten_ticks()
  local addr = start_server(3)
  local out = client_output(addr, "11")
  local want = {"connection from 127.0.0.1:40001 has been established!",
    "new message length: 22", "full message received", "Welcome to the server!"}
  for i = 1, 10 do
    want[#want + 1] = "new message length: 29"
    want[#want + 1] = "full message received"
    want[#want + 1] = ("The time is %.6f"):format(1767225600 + 3 * i)
  end
  expect.eq(out, lines(unpack(want)))
  expect.eq(monotonic(), 30)
end

function test_interval_zero_sends_the_welcome_only()
  local addr = start_server(0)
  expect.eq(client_output(addr), lines(
    "connection from 127.0.0.1:40001 has been established!",
    "new message length: 22", "full message received", "Welcome to the server!",
    "the server closed the connection"))
end

function test_server_serves_clients_at_once()
  local addr = start_server(3)
  local clients = {}
  for i = 1, 3 do
    clients[i] = frame.wrap(assert(socket.connect(addr)), frame.header())
    expect.eq(clients[i]:recv(), "Welcome to the server!")
  end
  clients[1]:close() -- leaving stops only its own ticker
  for i = 2, 3 do
    expect.eq(clients[i]:recv(), "The time is 1767225603.000000")
    expect.eq(clients[i]:recv(), "The time is 1767225606.000000")
    clients[i]:close()
  end
end

function test_client_two_frames_in_one_read()
  local addr = serve_chunks{header("first") .. header("second")}
  expect.eq(client_output(addr), lines(
    "new message length: 5", "full message received", "first",
    "new message length: 6", "full message received", "second",
    "the server closed the connection"))
end

function test_client_header_split_over_reads()
  local addr = serve_chunks{"2", "2        Welcome to", " the server!"}
  expect.eq(client_output(addr), lines(
    "new message length: 22", "full message received", "Welcome to the server!",
    "the server closed the connection"))
end

function test_client_counts_bytes_not_characters()
  local addr = serve_chunks{header("héllo wörld")}
  expect.eq(client_output(addr), lines(
    "new message length: 13", "full message received", "héllo wörld",
    "the server closed the connection"))
end

function test_client_end_of_stream_inside_a_message()
  local addr = serve_chunks{header("Welcome to the server!"):sub(1, 15)}
  local out, exit = client_output(addr)
  expect.eq(out, lines(
    "the server closed the connection in the middle of a message (15 bytes of it arrived)"))
  expect.eq(exit, "os.exit(1)")
end

function test_client_bad_header()
  local addr = serve_chunks{"abc       hello"}
  local out, exit = client_output(addr)
  expect.eq(out, lines("error: bad header: non-digit byte 'a' at offset 0"))
  expect.eq(exit, "os.exit(1)")
end

-- naive_client is the seed's header_client.py in Lua, its parsing bugs
-- included: it takes the first bytes of each recv(16) after a message as
-- the next header, and counts on a message ending exactly at the end of
-- a read. It returns the messages it read; where the seed loops forever
-- at the end of the stream, this copy stops and says so.
local function naive_client(addr)
  local s = assert(socket.connect(addr))
  local got = {}
  while true do
    local full_msg, new_msg, msglen = "", true, nil
    while true do
      local msg = s:recv(16)
      if msg == "" then
        s:close()
        return got, "end of stream with " .. #full_msg .. " bytes unread"
      end
      if new_msg then
        msglen = tonumber(msg:sub(1, HEADERSIZE)) -- int(msg[:HEADERSIZE])
        new_msg = false
      end
      full_msg = full_msg .. msg
      if #full_msg - HEADERSIZE == msglen then
        got[#got + 1] = full_msg:sub(HEADERSIZE + 1)
        break
      end
    end
  end
end

-- The lesson, shown as tests: the naive loop works while every message
-- arrives alone and whole, and breaks as soon as TCP's stream shows.

function test_naive_client_works_when_messages_arrive_alone()
  local addr = serve_chunks{header("Welcome to the server!"), header("The time is 1767225603.000000")}
  local got, why = naive_client(addr)
  expect.eq(got, {"Welcome to the server!", "The time is 1767225603.000000"})
  expect.eq(why, "end of stream with 0 bytes unread")
end

function test_naive_client_loses_two_frames_in_one_read()
  local addr = serve_chunks{header("first") .. header("second")}
  local got, why = naive_client(addr)
  expect.eq(got, {}) -- "first" ends inside a recv(16): it never completes
  expect.eq(why, "end of stream with 31 bytes unread")
end

function test_naive_client_breaks_on_a_split_header()
  local addr = serve_chunks{"2", "2        Welcome to", " the server!"}
  local got, why = naive_client(addr)
  expect.eq(got, {}) -- it read the length as 2
  expect.eq(why, "end of stream with 32 bytes unread")
end

-- Shaped: the server's writes cut into 1- or 3-byte reads, or merged two
-- by two (sock:shape, "Faults on demand" in the README). Under virtual
-- time each piece is its own read at the client.

-- TUTORIAL is what the Part II server sends: the welcome, then the time.
local TUTORIAL = {"Welcome to the server!", "The time is 1767225603.000000", "The time is 1767225606.000000"}

-- serve_shaped starts a server that shapes its side of each connection,
-- writes each message as its own framed write, then closes.
local function serve_shaped(shape, msgs)
  return testing.server(function(conn)
    assert(conn:shape(shape))
    for _, msg in ipairs(msgs) do conn:sendall(header(msg)) end
    conn:close()
  end)
end

-- client_lines is what header_client prints for msgs, then the end.
local function client_lines(msgs)
  local want = {}
  for _, msg in ipairs(msgs) do
    want[#want + 1] = "new message length: " .. #msg
    want[#want + 1] = "full message received"
    want[#want + 1] = msg
  end
  want[#want + 1] = "the server closed the connection"
  return lines(unpack(want))
end

-- reads counts the reads a raw client needs for the bytes of msgs.
local function reads(addr, msgs)
  local c = assert(socket.connect(addr))
  local n, total = 0, 0
  while true do
    local data = c:recv(4096)
    if data == "" then break end
    n, total = n + 1, total + #data
  end
  c:close()
  return n, total
end

local LONG = string.rep("0123456789", 100) -- a 1000-byte message: a 4-digit length

for _, shape in ipairs{{split = 1}, {split = 3}, {coalesce = true}} do
  local name = shape.split and ("split_" .. shape.split) or "coalesce"
  _G["test_client_reads_every_message_intact_under_" .. name] = function()
    local msgs = {TUTORIAL[1], TUTORIAL[2], LONG, TUTORIAL[3]}
    expect.eq(client_output(serve_shaped(shape, msgs)), client_lines(msgs))
  end
end

function test_shapes_really_cut_and_merge_the_reads()
  local msgs = {TUTORIAL[1], TUTORIAL[2]} -- 32 and 39 bytes
  expect.eq({reads(serve_shaped({split = 3}, msgs))}, {11 + 13, 71})
  expect.eq({reads(serve_shaped({split = 1}, msgs))}, {71, 71})
  expect.eq({reads(serve_shaped({coalesce = true}, msgs))}, {1, 71})
end

function test_naive_client_breaks_under_split_1()
  local got, why = naive_client(serve_shaped({split = 1}, TUTORIAL))
  expect.eq(got, {"We"}) -- the header "2" announced 2 bytes
  expect.eq(why:match("^end of stream"), "end of stream")
end

function test_naive_client_breaks_under_split_3()
  -- A 2-digit length fits in the first 3 bytes, so the tutorial's own
  -- messages survive; a 1000-byte one is read as 100 bytes long.
  local got, why = naive_client(serve_shaped({split = 3}, {TUTORIAL[1], LONG, TUTORIAL[2]}))
  expect.eq(got, {TUTORIAL[1]})
  expect.eq(why:match("^end of stream"), "end of stream")
end

function test_naive_client_breaks_under_coalesce()
  -- The 32-byte welcome ends with the second recv(16) by luck; the first
  -- time message runs into the second inside one read, and is lost.
  local got, why = naive_client(serve_shaped({coalesce = true}, TUTORIAL))
  expect.eq(got, {TUTORIAL[1]})
  expect.eq(why:match("^end of stream"), "end of stream")
end
