-- The guided tour: every tutorial stage in one process, narrated
--
-- The server runs as a task in the background; each client runs in turn
-- against it, in this same process. Read the stages themselves with
-- `netplay list` and run any of them on its own.

local function say(text)
  print()
  print("== " .. text)
end

-- start runs a server script as a background task on a free loopback port
-- (so the tour never clashes with a server you already run on 1234) and
-- returns once it waits in accept(), with its task and address.
local function start(script, ...)
  local probe = assert(socket.listen("127.0.0.1:0"))
  local addr = probe:getsockname()
  probe:close()
  local server = spawn(run, script, addr, ...)
  while server:status() ~= "waiting: accept" do
    sleep(0.01)
  end
  return server, addr
end

say("Part I.1: a server accepts connections, says welcome and hangs up (part1/server)")
local server, ADDR = start("part1/server")

say("Part I.2: a client reads the message with recv(1024) (part1/client)")
run("part1/client", ADDR)

say("Part I.4.1: recv(8) gets only the first 8 bytes (part1/client_recv8)")
run("part1/client_recv8", ADDR)

say("Part I.4.2: recv(8) in a loop gets the message in 8-byte pieces (part1/client_recv8_loop)")
run("part1/client_recv8_loop", ADDR)

say("Part I.4.3: gather the pieces until the server closes (part1/client_stream)")
run("part1/client_stream", ADDR)

server:cancel()

say("Part II.1: a 10-byte header before each message says how long it is (part2/header_server, interval 0)")
local header_server, ADDR2 = start("part2/header_server", "0")

say("Part II.2: the client reads the header, then exactly that many bytes (part2/header_client)")
run("part2/header_client", ADDR2)
header_server:cancel()

say("Part II.4: the server sends the time every 0.05 s; the client shows three messages and leaves")
local time_server, ADDR3 = start("part2/header_server", "0.05")
run("part2/header_client", ADDR3, "3")
time_server:cancel()

say("Tour done. Try `netplay run part1/server` in one terminal and `netplay run part1/client` in another, or `netplay list`.")
