-- The guided tour: every tutorial stage in one process, narrated
--
-- The server runs as a task in the background; each client runs in turn
-- against it, in this same process. Read the stages themselves with
-- `netplay list` and run any of them on its own.

local function say(text)
  print()
  print("== " .. text)
end

-- Ask the OS for a free port on loopback, so the tour never clashes with
-- a server you already run on 1234.
local probe = assert(socket.listen("127.0.0.1:0"))
local ADDR = probe:getsockname()
probe:close()

say("Part I.1: a server accepts connections, says welcome and hangs up (part1/server, on " .. ADDR .. ")")
local server = spawn(run, "part1/server", ADDR)

-- Wait until the server task is listening and waits in accept().
while server:status() ~= "waiting: accept" do
  sleep(0.01)
end

say("Part I.2: a client reads the message with recv(1024) (part1/client)")
run("part1/client", ADDR)

say("Part I.4.1: recv(8) gets only the first 8 bytes (part1/client_recv8)")
run("part1/client_recv8", ADDR)

say("Part I.4.2: recv(8) in a loop gets the message in 8-byte pieces (part1/client_recv8_loop)")
run("part1/client_recv8_loop", ADDR)

say("Part I.4.3: gather the pieces until the server closes (part1/client_stream)")
run("part1/client_stream", ADDR)

server:cancel()
say("Tour done. Try `netplay run part1/server` in one terminal and `netplay run part1/client` in another.")
