-- testing.lua: the peers of the testing module, written in Lua on the
-- public API (runtime/testrunner/testing.go adds skip, virtual_time,
-- output and cleanup, and passes the module in).

local M = ...
local socket, frame, task = require("socket"), require("frame"), require("task")

local Server = {}
Server.__index = Server

-- ended reports whether a task has finished, one way or another.
local function ended(t)
  local st = t:status()
  return st == "done" or st == "cancelled" or st:sub(1, 7) == "failed:"
end

-- testing.server(handler[, opts]) -> addr, srv: listen on 127.0.0.1:0
-- (opts.addr to choose) and run handler(conn) as a task for each
-- connection; with opts.codec, handler gets frame.wrap(conn, codec). The
-- server stops by srv:close(), or at the end of the test.
function M.server(handler, opts)
  if type(handler) ~= "function" then
    error("bad argument #1 to 'server' (function expected, got " .. type(handler) .. ")", 2)
  end
  opts = opts or {}
  local ls, err = socket.listen(opts.addr or "127.0.0.1:0")
  if not ls then error("testing.server: " .. err, 2) end
  local srv = setmetatable({addr = ls:getsockname(), listener = ls, handlers = {}}, Server)
  srv.acceptor = task.spawn(function()
    while true do
      local conn = ls:accept()
      if not conn then return end
      for t in pairs(srv.handlers) do
        if ended(t) then srv.handlers[t] = nil end
      end
      local peer = conn
      if opts.codec then peer = frame.wrap(conn, opts.codec) end
      srv.handlers[task.spawn(handler, peer)] = true
    end
  end)
  M.cleanup(function() srv:close() end)
  return srv.addr, srv
end

-- srv:close(): stop accepting, cancel the handlers (their connections
-- close with them) and wait until they have ended. Closing twice is
-- harmless.
function Server:close()
  if self.closed then return end
  self.closed = true
  self.listener:close()
  self.acceptor:cancel()
  self.acceptor:join()
  for t in pairs(self.handlers) do
    t:cancel()
    t:join()
  end
  self.handlers = {}
end

-- testing.free_addr(["udp"]) -> addr: a loopback address ("127.0.0.1:PORT")
-- no stream socket listens on (with "udp": no datagram socket is bound to)
-- just now, for a server script a test starts itself:
-- spawn(run, "server.lua", testing.free_addr()).
function M.free_addr(kind)
  local probe
  if kind == nil or kind == "tcp" then
    probe = assert(socket.listen("127.0.0.1:0"))
  elseif kind == "udp" then
    probe = socket.udp()
    assert(probe:bind("127.0.0.1:0"))
  else
    error("bad argument #1 to 'free_addr' (\"tcp\" or \"udp\" expected, got " .. tostring(kind) .. ")", 2)
  end
  local addr = probe:getsockname()
  probe:close()
  return addr
end

-- testing.echo_server([opts]) -> addr, srv: a testing.server that sends
-- back what it receives: each frame with opts.codec, else the bytes as
-- they come, until the client closes.
function M.echo_server(opts)
  opts = opts or {}
  if opts.codec then
    return M.server(function(f)
      while true do
        local msg = f:recv()
        if not msg then break end
        f:send(msg)
      end
      f:close()
    end, opts)
  end
  return M.server(function(conn)
    while true do
      local data = conn:recv(65536)
      if not data or data == "" then break end
      conn:sendall(data)
    end
    conn:close()
  end, opts)
end
