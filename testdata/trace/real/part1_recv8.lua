-- Records part1_recv8.jsonl, Part I's recv(8) on real sockets, for the
-- README's picture (docs/part1-recv8.png): the server and client_recv8 in
-- one process, so the recording holds both ends.
--
--   netplay --record testdata/trace/real/part1_recv8.jsonl run testdata/trace/real/part1_recv8.lua [PORT]
--
-- Optional argument: [host:]port for the server (default 127.0.0.1:5611).

local addr = socket.address(arg[1], "127.0.0.1:5611")
local server = spawn(run, "part1/server", addr)
assert(server:status() == "waiting: accept", server:status())
run("part1/client_recv8", addr)
server:cancel()
