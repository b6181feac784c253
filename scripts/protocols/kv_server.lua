-- A kv server: SET, GET, DEL and QUIT over lines, many clients at once
--
-- The protocol lives in kv.lua, next to this file (require("kv") finds
-- it there, as lua finds modules in the current folder); this script only
-- listens and logs. Try it with the client, or by hand with nc:
--
--   netplay run protocols/kv_server 7000
--   netplay run protocols/kv_client 7000 SET greeting hello world
--   printf 'GET greeting\nQUIT\n' | nc 127.0.0.1 7000
--
-- Its tests are in kv_test.lua: run them with `netplay test`.
-- Argument: [host:]port to listen on (default 127.0.0.1:1234).

local kv = require("kv")

local ADDR = socket.address(arg[1], "127.0.0.1:1234")

local listener = assert(socket.listen(ADDR))
print("kv server on " .. listener:getsockname())
local store = {} -- every client's commands act on this one table
kv.serve(listener, store, print)
