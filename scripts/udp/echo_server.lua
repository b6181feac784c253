-- A UDP echo server: each datagram comes back whole, and some can be lost
--
-- UDP sends datagrams, not a stream: each sendto is one message that
-- arrives whole, with its boundaries (one recvfrom returns exactly one
-- datagram, never half of one or two glued together, unlike TCP's
-- recv(8) in Part I), or does not arrive at all. There is no connection,
-- no accept: one socket talks to every client, and recvfrom says who sent
-- each datagram so the reply can go back with sendto.
--
-- Loss is rare on loopback, so this server can make it happen: with DROP
-- set to N, every Nth datagram it receives is dropped instead of echoed
-- (the 2nd, 4th, ... for N = 2), and the client has to retry.
--
-- Arguments: [host:]port (default 127.0.0.1:1234), DROP (default 0: none).
-- Then: netplay run udp/client

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local DROP = tonumber(arg[2] or 0)
local MAX_DATAGRAM = 65507 -- the largest UDP payload over IPv4

local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
assert(s:bind(ADDR))
-- With port 0 the system picks one: say which.
print("udp echo server on " .. s:getsockname())

local count = 0
while true do
  local data, addr = s:recvfrom(MAX_DATAGRAM)
  count = count + 1
  if DROP > 0 and count % DROP == 0 then
    print(("datagram %d from %s, %d bytes: dropped"):format(count, addr, #data))
  else
    s:sendto(data, addr)
    print(("datagram %d from %s, %d bytes: echoed"):format(count, addr, #data))
  end
end
