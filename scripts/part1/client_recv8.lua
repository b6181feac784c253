-- Part I.4.1: recv(8) once: only the first 8 bytes of the message arrive
--
-- Seed section I.4.1: make 1024 into 8. The server sends 22 bytes,
-- but one recv(8) hands us 8 of them: "welcome ". The rest is lost
-- when we close. Start part1/server first.
-- Optional argument: [host:]port of the server (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:connect(ADDR))

local msg = s:recv(8)
-- how many bytes we want to receive at most, this time

print(msg)
