-- Records part2_split3.jsonl, Part II under split writes on real sockets,
-- for the README's picture (docs/part2-split3.png): header_server with a
-- time message every second, every write cut into 3-byte pieces, and
-- header_client reading three messages, in one process.
--
--   netplay --shape split=3 --record testdata/trace/real/part2_split3.jsonl run testdata/trace/real/part2_split3.lua [PORT]
--
-- Optional argument: [host:]port for the server (default 127.0.0.1:5612).

local addr = socket.address(arg[1], "127.0.0.1:5612")
local server = spawn(run, "part2/header_server", addr, "1")
assert(server:status() == "waiting: accept", server:status())
run("part2/header_client", addr, "3")
server:cancel()
