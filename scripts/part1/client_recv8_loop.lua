-- Part I.4.2: recv(8) in a loop: the message arrives 8 bytes at a time
--
-- Seed section I.4.2: try a smaller buffer several times. Each recv(8)
-- returns the next piece, one line each. The seed's loop never ends; this
-- one stops when recv returns "" (the server closed: end of stream).
-- Start part1/server first.
-- Optional argument: [host:]port of the server (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:connect(ADDR))

while true do
  local msg = s:recv(8)
  if msg == "" then break end -- end of stream: the seed would spin here forever
  print(msg)
end
