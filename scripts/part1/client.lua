-- Part I.2: a client that connects and reads one message with recv(1024)
--
-- Seed section I.2 (client.py). Start part1/server first.
-- Optional argument: [host:]port of the server (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

assert(s:connect(ADDR))
-- this is for a local test: the server runs on this machine

local msg = s:recv(1024)
-- how many bytes we want to receive at most, this time

print(msg)
-- print the message (Lua strings are bytes: nothing to decode)
