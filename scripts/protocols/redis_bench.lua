-- Time N Redis INCR commands one by one, then in one pipeline
--
-- One by one, each command waits for its reply before the next goes out:
-- N round trips. A pipeline sends all N in one write and then reads the N
-- replies: one round trip. Compare with Redis's own tool, run the same way:
--   redis-benchmark -p PORT -c 1 -n 1000 -t incr -P 1      (one by one)
--   redis-benchmark -p PORT -c 1 -n 1000 -t incr -P 1000   (pipelined)
--
-- Arguments: [host:]port (default 127.0.0.1:6379), N (default 1000).

local resp = require("protocols.resp")

local ADDR = socket.address(arg[1], "127.0.0.1:6379")
local N = tonumber(arg[2] or 1000)
local KEY = "netplay:bench:counter"

local r = assert(resp.connect(ADDR, {timeout = 10}))
assert(r:call("DEL", KEY))

local t0 = monotonic()
for _ = 1, N do assert(r:call("INCR", KEY)) end
local sequential = monotonic() - t0

local cmds = {}
for i = 1, N do cmds[i] = {"INCR", KEY} end
t0 = monotonic()
local replies = assert(r:pipeline(cmds))
local pipelined = monotonic() - t0
assert(replies[N] == 2 * N, "every INCR counted")

-- rate says how many requests a second n in s seconds make (under
-- netplay test --virtual-time no time passes at all).
local function rate(n, s)
  if s <= 0 then return "no time passed" end
  return ("%.0f requests/s"):format(n / s)
end

print(("%d INCR one by one: %.1f ms (%s)"):format(N, sequential * 1000, rate(N, sequential)))
print(("%d INCR pipelined:  %.1f ms (%s)"):format(N, pipelined * 1000, rate(N, pipelined)))
r:call("DEL", KEY)
r:close()
