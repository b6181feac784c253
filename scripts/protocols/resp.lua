-- Module require("protocols.resp"): a Redis client (RESP2), and RESP as a structured frame codec
--
--   local resp = require("protocols.resp")
--   local r = assert(resp.connect("127.0.0.1:6379"))  -- opts: {timeout = s, max = bytes}
--   r:call("SET", "k", "v")     --> "OK"
--   r:call("GET", "k")          --> "v"; a null reply (no such key) is nil, no error
--   r:call("NOPE")              --> nil, "ERR unknown command 'NOPE', ..."
--   r:pipeline{{"SET", "a", "1"}, {"INCR", "a"}}  --> {"OK", 2}
--   r:close()
--
--   resp.codec([{max = bytes}])   a frame.new codec: f:recv() returns a whole reply
--   resp.encode({"SET", "k", "v"}) the bytes of one command
--   resp.null, resp.iserror(v)    a null and an error reply inside a list
--
-- RESP (REdis Serialization Protocol, version 2) puts a type byte before
-- every value and ends each line with \r\n:
--
--   +OK\r\n                 simple string     "OK"
--   -ERR no such key\r\n    error             nil, "ERR no such key" from r:call
--   :42\r\n                 integer           42
--   $5\r\nhello\r\n         bulk string       "hello": a length, then that many
--                                             bytes (any bytes, \r\n included)
--   $-1\r\n                 null bulk         nil
--   *2\r\n:1\r\n$1\r\na\r\n array             {1, "a"}: a count, then that many
--                                             values, arrays included (nesting)
--   *-1\r\n                 null array        nil
--
-- A command is an array of bulk strings: SET k v is
-- "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".
--
-- Inside a list (an array reply, or the replies of a pipeline) a null is
-- resp.null, so the list keeps its length, and an error reply is a table
-- {err = "ERR ..."} (resp.iserror(v) is true; tostring(v) is the message),
-- so one failed command does not hide the replies of the others.
--
-- Every read is bounded: a line at most 64 KiB, one reply at most max
-- bytes (default 16 MiB), arrays nested at most 64 deep. Anything else is
-- an error that closes the connection (it can no longer be trusted to be
-- in step), as does a timeout: the late reply would be taken for the next
-- command's.
--
-- Integers are Lua numbers: exact up to 2^53.

local resp = {}

local MAX_LINE = 64 * 1024
local MAX_DEPTH = 64
local DEFAULT_MAX = 16 * 1024 * 1024

resp.null = setmetatable({}, {__tostring = function() return "resp.null" end})

local error_mt = {__tostring = function(e) return e.err end}

local function error_reply(message) return setmetatable({err = message}, error_mt) end

function resp.iserror(v) return getmetatable(v) == error_mt end

-- The parser reads through a reader with two methods: rd:line() returns
-- the next line without its \r\n, rd:bytes(n) the next n bytes; either
-- returns nil, err when it cannot. The client's reader reads the socket
-- (waiting as needed); the codec's reads a string and says "need more" at
-- its end. One parser serves both.

local NEED_MORE = {} -- the string reader's "the frame is not all here yet"

local function bad(fmt, ...) return nil, "bad reply: " .. fmt:format(...) end

-- integer reads a RESP integer strictly: an optional "-" and digits.
local function integer(s)
  if s:match("^%-?%d+$") and #s <= 20 then return tonumber(s) end
end

local function read_value(rd, depth)
  local line, err = rd:line()
  if not line then return nil, err end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return error_reply(rest)
  elseif kind == ":" then
    local n = integer(rest)
    if not n then return bad("integer %q", rest) end
    return n
  elseif kind == "$" then
    local n = integer(rest)
    if n == -1 then return resp.null end
    if not n or n < 0 then return bad("bulk length %q", rest) end
    if n > rd.max then return bad("bulk string of %d bytes is over the maximum of %d", n, rd.max) end
    local data, derr = rd:bytes(n + 2)
    if not data then return nil, derr end
    if data:sub(-2) ~= "\r\n" then return bad("bulk string of %d bytes not followed by \\r\\n", n) end
    return data:sub(1, -3)
  elseif kind == "*" then
    local n = integer(rest)
    if n == -1 then return resp.null end
    if not n or n < 0 then return bad("array length %q", rest) end
    if depth >= MAX_DEPTH then return bad("arrays nested deeper than %d", MAX_DEPTH) end
    local t = {}
    for i = 1, n do
      local v, verr = read_value(rd, depth + 1)
      if v == nil then return nil, verr end
      t[i] = v
    end
    return t
  end
  return bad("unknown type byte %q", kind)
end

-- socket_reader reads replies straight from a socket: recv_until and
-- recv_exactly wait for the bytes and share the socket's buffer, and
-- `used` bounds one reply's total size.
local function socket_reader(sock, max)
  local rd = {max = max, used = 0}
  local function count(data, err)
    if not data then
      if err == "too long" then return bad("line longer than %d bytes", MAX_LINE) end
      return nil, err
    end
    rd.used = rd.used + #data
    if rd.used > max then return bad("reply larger than %d bytes", max) end
    return data
  end
  function rd:line() return count(sock:recv_until("\r\n", MAX_LINE)) end
  function rd:bytes(n) return count(sock:recv_exactly(n)) end
  return rd
end

-- string_reader reads one reply from the start of buf (a codec's decode).
local function string_reader(buf, max)
  local rd = {max = max, pos = 1}
  function rd:line()
    local cr = buf:find("\r\n", self.pos, true)
    if not cr then
      if #buf - self.pos >= MAX_LINE then return bad("line longer than %d bytes", MAX_LINE) end
      return nil, NEED_MORE
    end
    local line = buf:sub(self.pos, cr - 1)
    self.pos = cr + 2
    return line
  end
  function rd:bytes(n)
    if #buf - self.pos + 1 < n then return nil, NEED_MORE end
    local data = buf:sub(self.pos, self.pos + n - 1)
    self.pos = self.pos + n
    return data
  end
  return rd
end

-- resp.decode(buf[, max]) -> reply, used | nil (need more) | nil, err:
-- one reply from the start of buf.
function resp.decode(buf, max)
  local rd = string_reader(buf, max or DEFAULT_MAX)
  local v, err = read_value(rd, 0)
  if v == nil then
    if err == NEED_MORE then return nil end
    return nil, err
  end
  return v, rd.pos - 1
end

-- argument turns one command argument into a string; anything but a
-- string or a number is a mistake in the calling code, so it raises.
local function argument(v, i)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(("resp: argument %d of the command is %s, not a string or a number"):format(i, t == "nil" and "nil" or "a " .. t), 4)
end

-- resp.encode(cmd) -> the bytes of the command {name, args...}.
function resp.encode(cmd, n)
  n = n or #cmd
  if n == 0 then error("resp: empty command", 3) end
  local parts = {"*" .. n .. "\r\n"}
  for i = 1, n do
    local s = argument(cmd[i], i)
    parts[i + 1] = "$" .. #s .. "\r\n" .. s .. "\r\n"
  end
  return table.concat(parts)
end

-- resp.codec([opts]) -> a frame codec: f:recv() returns one whole reply
-- (a string, a number, a table, resp.null or an error table), and
-- f:send("SET k v") sends a command written as words, as redis-cli
-- takes them (an argument with spaces needs resp.encode and sock:send).
function resp.codec(opts)
  local max = opts and opts.max or DEFAULT_MAX
  return frame.new({
    name = "resp",
    encode = function(line)
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      return resp.encode(words)
    end,
    decode = function(buf) return resp.decode(buf, max) end,
  }, {max = max})
end

local Client = {}
Client.__index = Client

-- resp.connect(addr[, opts]) -> client | nil, err. opts.timeout bounds
-- the connect and each wait for a reply (seconds); opts.max one reply's
-- size (bytes).
function resp.connect(addr, opts)
  opts = opts or {}
  local sock, err = socket.connect(addr, opts.timeout)
  if not sock then return nil, err end
  if opts.timeout then sock:settimeout(opts.timeout) end
  local max = opts.max or DEFAULT_MAX
  return setmetatable({sock = sock, rd = socket_reader(sock, max)}, Client)
end

-- fail closes the connection (it is out of step) and returns nil, err.
function Client:fail(err)
  self.closed = true
  self.sock:close()
  return nil, err
end

-- read returns the next reply as it came (nulls and errors as values).
function Client:read()
  self.rd.used = 0
  local v, err = read_value(self.rd, 0)
  if v == nil then return self:fail(err) end
  return v
end

-- r:call(name, args...) -> reply | nil (a null) | nil, err (a Redis error
-- reply such as "ERR ...", or "closed", "timeout", "bad reply: ...").
function Client:call(...)
  if self.closed then return nil, "closed" end
  local ok, err = self.sock:sendall(resp.encode({...}, select("#", ...)))
  if not ok then return self:fail(err) end
  local v, rerr = self:read()
  if v == nil then return nil, rerr end
  if resp.iserror(v) then return nil, v.err end
  if v == resp.null then return nil end
  return v
end

-- r:pipeline(cmds) -> {reply, ...} | nil, err: every command is sent at
-- once, then every reply read, in order: one round trip instead of #cmds.
-- A failed command's reply is an error table, a null is resp.null.
function Client:pipeline(cmds)
  if self.closed then return nil, "closed" end
  local parts = {}
  for i, cmd in ipairs(cmds) do
    parts[i] = resp.encode(cmd)
    if i % 256 == 0 then yield() end -- a long pipeline: let the others run
  end
  -- Sending runs in its own task, so that replies are read while a long
  -- pipeline is still going out: a server that stops reading while its
  -- replies pile up unread would otherwise wait for us as we wait for it.
  local payload = table.concat(parts)
  local sender = spawn(function() return self.sock:sendall(payload) end)
  local replies = {}
  for i = 1, #cmds do
    local v, err = self:read()
    if v == nil then
      sender:join()
      return nil, err
    end
    replies[i] = v
    -- Replies already buffered are read without waiting, and a task that
    -- never waits keeps the others from running (tasks switch only where
    -- one waits): let them, now and then.
    if i % 256 == 0 then yield() end
  end
  local ok, err = sender:join()
  if not ok then return self:fail(err) end
  return replies
end

-- r:close(): closing twice is harmless.
function Client:close()
  self.closed = true
  self.sock:close()
end

function Client:__tostring()
  return ("<resp %s>"):format(tostring(self.sock))
end

return resp
