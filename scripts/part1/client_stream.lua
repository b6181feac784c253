-- Part I.4.3: real streaming: gather 8-byte chunks until the server closes
--
-- Seed section I.4.3: keep calling recv(8) and add each piece to the full
-- message; an empty result means the server closed the connection, so the
-- message is complete. Start part1/server first.
-- Optional argument: [host:]port of the server (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:connect(ADDR))

local full_msg = ""
while true do
  local msg = s:recv(8)
  if #msg <= 0 then
    break
  end
  full_msg = full_msg .. msg
end
print(full_msg)
