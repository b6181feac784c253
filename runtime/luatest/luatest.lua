-- luatest: helpers for Lua test files (require "luatest").

local M = {}

-- eq fails the test, pointing at the caller, when got ~= want.
function M.eq(got, want, what)
  if got ~= want then
    error(("%s: got %q, want %q"):format(what or "value", tostring(got), tostring(want)), 2)
  end
end

-- raises checks that fn(...) raises exactly want (the "file:line: " the
-- error carries stripped).
function M.raises(want, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error(("no error, want %q"):format(want), 2) end
  err = tostring(err):gsub("^[^:]*:%d+: ", "")
  if err ~= want then error(("error %q, want %q"):format(err, want), 2) end
end

-- pair returns the two ends of a fresh loopback TCP connection.
function M.pair()
  local srv = assert(socket.listen("127.0.0.1:0"))
  local c = assert(socket.connect(srv:getsockname()))
  local s = assert(srv:accept())
  srv:close()
  return c, s
end

-- waitfor lets other tasks run until t's status is want.
function M.waitfor(t, want)
  while t:status() ~= want do sleep(0) end
end

return M
