-- A UDP client that waits for each reply with a timeout and retries with backoff
--
-- A datagram can be lost (or its reply can), and nothing tells the sender:
-- there is no connection to break. So the client waits for the echo with a
-- timeout and, when none comes, sends again, doubling the wait each time
-- (exponential backoff: a busy or distant server gets more room, and
-- retries do not pile up), up to TRIES times before it gives up.
--
-- Retrying means a reply can arrive late, after the next request went out,
-- so each request starts with a sequence number and a reply that does not
-- match the request waited for is ignored.
--
-- Arguments: [host:]port of the echo server (default 127.0.0.1:1234), the
-- first TIMEOUT in seconds (default 0.5) and TRIES (default 4).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local TIMEOUT = tonumber(arg[2] or 0.5)
local TRIES = tonumber(arg[3] or 4)
local MAX_DATAGRAM = 65507

local messages = {"hello", "datagrams keep their boundaries", "bye"}

local s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
-- No connect and no bind: the first sendto binds the socket to a free port.

-- exchange sends request and returns the matching reply, or nil, why.
local function exchange(request)
  local wait = TIMEOUT
  for try = 1, TRIES do
    s:sendto(request, ADDR)
    s:settimeout(wait)
    while true do
      local data, err = s:recvfrom(MAX_DATAGRAM)
      if data == request then
        return data
      elseif data then
        print(("ignored a late reply %q"):format(data))
      elseif err == "timeout" then
        break
      else
        return nil, err -- e.g. "connection refused" when the system reports it
      end
    end
    print(("no reply to %q within %g s (try %d of %d)"):format(request, wait, try, TRIES))
    wait = wait * 2
  end
  return nil, ("no reply after %d tries"):format(TRIES)
end

for i, text in ipairs(messages) do
  local request = ("%d %s"):format(i, text)
  local reply, err = exchange(request)
  if reply then
    -- One recvfrom, one whole datagram: all of its bytes, and only its.
    print(("reply %q, %d bytes in one datagram"):format(reply, #reply))
  else
    print(("gave up on %q: %s"):format(request, err))
  end
end
s:close()
