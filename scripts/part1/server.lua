-- Part I.1: a server that says welcome to each client, then hangs up
--
-- Seed section I.1 (server.py), line for line. Run it, then a client in a
-- second terminal:   netplay run part1/server      netplay run part1/client
-- Optional argument: [host:]port to listen on (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
-- AF_INET refers to IPv4, SOCK_STREAM refers to TCP

assert(s:bind(ADDR))
-- bind the socket (an end point that receives the data: IP + port)

s:listen(5)
-- this is the server: it prepares for incoming connections
-- and keeps a queue of 5 if several connections come very fast

while true do
  local clientsocket, address = s:accept()
  -- clientsocket is a socket object like s above;
  -- address is the client's "IP:port"

  if clientsocket then
    print(("connection from %s has been established!"):format(address))
    -- a debugging print

    clientsocket:send("welcome to the server!")
    -- send the message to the client through the socket we got
    -- (Lua strings are already bytes: no encode("utf-8") needed)

    clientsocket:close()
    -- close the connection: the client sees the end of the stream,
    -- and we go round the loop to accept the next one
  else
    print(("accept failed: %s"):format(address))
    -- accept returns nil and why when it fails ("too many open files"
    -- when the process is at its limit: accept has paused a moment
    -- already, so this loop does not spin). A server says so and goes on.
  end
end
