-- Part II.1, II.4: a 10-byte length header before each message, then the time every few seconds
--
-- Seed sections II.1 and II.4 (header_server.py). TCP is a stream: it
-- keeps the bytes in order but not where one message ends. So each message
-- goes out behind a header: its length in ASCII digits, left-aligned and
-- padded with spaces to 10 bytes, Python's f'{len(msg):<10}':
--
--     "22        Welcome to the server!"
--      |HEADERSIZE|
--
-- frame.header(10) is that codec; its send adds the header for us.
--
-- Arguments: [host:]port (default 127.0.0.1:1234) and the interval in
-- seconds between time messages (default 3; 0 = the welcome only, as in
-- II.1, and the connection is closed after it).
-- Unlike the seed's server, which serves one client at a time (its time
-- loop never returns to accept), each client gets its own task and ticker.

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local INTERVAL = tonumber(arg[2] or 3)
local HEADERSIZE = 10

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:bind(ADDR))
s:listen(5)

-- serve talks to one client, in its own task.
local function serve(clientsocket)
  local f = frame.wrap(clientsocket, frame.header(HEADERSIZE))
  f:send("Welcome to the server!")
  if INTERVAL <= 0 then
    clientsocket:close() -- II.1: only the welcome
    return
  end
  -- II.4: the time every INTERVAL seconds, as plain decimal seconds since
  -- the epoch (Python's time.time()), e.g. 1764115200.123456.
  local ticker
  ticker = every(INTERVAL, function()
    if not f:send(("The time is %.6f"):format(now())) then
      ticker:cancel() -- the client left: stop this ticker only
    end
  end)
  -- The client never sends anything: recv returns "" (or an error) when
  -- it leaves, and then its ticker stops at once.
  clientsocket:recv(1)
  ticker:cancel()
  clientsocket:close()
end

while true do
  local clientsocket, address = s:accept()
  if clientsocket then
    print(("connection from %s has been established!"):format(address))
    spawn(serve, clientsocket)
  else
    -- nil and why ("too many open files": accept has paused already,
    -- so the loop does not spin); report it and go on accepting
    print(("accept failed: %s"):format(address))
  end
end
