-- Part I's server and clients, tested (netplay test scripts/part1).
--
-- On real loopback sockets (no testing.virtual_time() here): the server
-- runs as a task on a free port, each client runs against it in the same
-- process, and the test checks what they print. Ports differ from run to
-- run, so the server's "connection from" lines are compared with the port
-- written as PORT.

-- start_server runs server.lua (the file beside this one) as a task and
-- returns its address once it waits in accept(); it is stopped at the end
-- of the test.
local function start_server()
  local addr = testing.free_addr()
  local srv = spawn(run, "server.lua", addr)
  testing.cleanup(function() srv:cancel(); srv:join() end)
  expect.eq(srv:status(), "waiting: accept")
  return addr
end

-- output_of runs a client script against addr and returns what was
-- printed meanwhile (the server's line included), ports as PORT.
local function output_of(script, addr)
  local before = #testing.output()
  run(script, addr)
  return (testing.output():sub(before + 1):gsub(":%d+ has been", ":PORT has been"))
end

local CONNECTED = "connection from 127.0.0.1:PORT has been established!\n"

function test_server_sends_welcome_and_closes()
  local addr = start_server()
  local c = assert(socket.connect(addr))
  local data, err, partial = c:recv_exactly(100)
  expect.eq({data, err, partial}, {nil, "closed", "welcome to the server!"})
  c:close()
end

function test_server_serves_one_client_after_another()
  local addr = start_server()
  for _ = 1, 3 do
    local c = assert(socket.connect(addr))
    expect.eq(c:recv_until("!"), "welcome to the server")
    c:close()
  end
end

function test_client_reads_the_message()
  expect.eq(output_of("client.lua", start_server()), CONNECTED .. "welcome to the server!\n")
end

function test_client_recv8_gets_eight_bytes()
  expect.eq(output_of("client_recv8.lua", start_server()), CONNECTED .. "welcome \n")
end

function test_client_recv8_loop_gets_the_pieces()
  expect.eq(output_of("client_recv8_loop.lua", start_server()), CONNECTED .. "welcome \nto the s\nerver!\n")
end

function test_client_stream_gathers_the_pieces()
  expect.eq(output_of("client_stream.lua", start_server()), CONNECTED .. "welcome to the server!\n")
end

function test_recv8_pieces_against_a_server_of_our_own()
  -- Any server that sends the 22 bytes and closes: the loop prints three
  -- pieces however the bytes were written.
  local addr = testing.server(function(conn)
    conn:sendall("welcome ")
    conn:sendall("to the server!")
    conn:close()
  end)
  expect.eq(output_of("client_recv8_loop.lua", addr), "welcome \nto the s\nerver!\n")
end

function test_client_without_a_server()
  local addr = testing.free_addr()
  expect.error(function() run("client.lua", addr) end, "connection refused")
end
