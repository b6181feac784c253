-- Both ends of a line protocol in one process: the server answers each
-- line in capitals. runtime/lualib/replay_test.go records it, and
-- replay_test.lua plays either end of the recording against live code.

local srv = assert(socket.listen("127.0.0.1:0"))
local server = spawn(function()
  local f = frame.wrap(assert(srv:accept()), frame.line())
  for line in f:frames() do
    f:send(line:upper())
  end
  f:close()
end)

local f = frame.wrap(assert(socket.connect(srv:getsockname())), frame.line())
for _, word in ipairs({"hello", "replay"}) do
  f:send(word)
  print(f:recv())
end
f.sock:shutdown("w")
f:recv() -- nil, "closed": the server saw the end and closed
f:close()
server:join()
srv:close()
