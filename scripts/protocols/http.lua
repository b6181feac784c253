-- Module require("protocols.http"): an HTTP/1.1 client (chunked bodies, keep-alive, redirects)
--
--   local http = require("protocols.http")
--   local res, err = http.get("http://127.0.0.1:8000/index.html")
--   res.status, res.reason    200, "OK"
--   res.headers["content-type"]   header names in lowercase; a repeated header's
--                                 values joined with ", " (res.header_list keeps
--                                 every {name, value} pair as it came, in order)
--   res.body, res.trailers        the body (de-chunked); trailers of a chunked body
--   http.request{method = "POST", url = ..., headers = {...}, body = "..."}
--   local c = http.client()       keeps connections open and reuses them
--   c:get(url), c:request{...}, c:close()
--
-- Options (in the request table, or the second argument of get):
-- timeout (seconds, default 30: the connect and each wait for bytes),
-- max_body (bytes, default 16 MiB), redirects (how many to follow, default
-- 0: a 3xx response is returned as it is), tls (for https:// urls: the
-- options of socket.connect's tls, such as {ca = PEM} to trust a test
-- server's certificate; the server name is the url's host).
--
-- What the client does, in the order a response is read (RFC 9112):
--   1. the status line, "HTTP/1.1 200 OK": anything else is
--      nil, 'bad status line: "..."';
--   2. header lines "Name: value" up to an empty line; a line without a
--      colon, or a name with spaces, is nil, 'bad header line: "..."';
--   3. the body: none for HEAD, 204 and 304; with
--      "Transfer-Encoding: chunked", chunks of "<hex size>[;extension]\r\n
--      <data>\r\n" up to a size of 0, then trailer lines (more headers) and
--      an empty line; else Content-Length bytes exactly; else everything
--      up to the end of the stream.
-- Every read is bounded: a line at most 8 KiB, at most 100 header lines
-- and 64 KiB of them, a body at most max_body bytes. Interim 1xx responses
-- (100 Continue) are skipped.
--
-- Keep-alive: an HTTP/1.1 connection stays open after a response unless
-- either side said "Connection: close" or the body ran to the end of the
-- stream. http.get and http.request ask for "Connection: close" and use a
-- connection once; a client from http.client() keeps one idle connection
-- per host and port and sends the next request on it (if the server
-- closed it meanwhile, the request is sent again on a new one, once, when
-- nothing of a response had arrived).

local http = {}

local MAX_LINE = 8 * 1024
local MAX_HEADERS = 100
local MAX_HEADER_BYTES = 64 * 1024
local DEFAULT_MAX_BODY = 16 * 1024 * 1024
local DEFAULT_TIMEOUT = 30

-- parse_url splits "http://host[:port]/path?query" into the address to
-- connect to, the Host header and the request target.
local function parse_url(url)
  local scheme, authority, target = url:match("^(%a[%w+.-]*)://([^/?#]*)([^#]*)")
  if not scheme then return nil, ("bad url %q: want http://host[:port]/path"):format(url) end
  scheme = scheme:lower()
  if scheme ~= "http" and scheme ~= "https" then return nil, ("unsupported scheme %q"):format(scheme) end
  if authority:find("@", 1, true) then return nil, "credentials in the url are not supported" end
  local host, port = authority:match("^(%[[%x:.]+%]):?(%d*)$") -- [::1]:8080
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host or host == "" then return nil, ("bad url %q: no host"):format(url) end
  local default = scheme == "https" and "443" or "80"
  if port == "" then port = default end
  if target == "" then target = "/" elseif target:sub(1, 1) == "?" then target = "/" .. target end
  local hostheader = port == default and host or host .. ":" .. port
  return {addr = host .. ":" .. port, host = hostheader, target = target, url = url,
    tls = scheme == "https", servername = host:gsub("^%[(.*)%]$", "%1"),
    key = scheme .. "://" .. host .. ":" .. port}
end

-- resolve turns a Location header into an absolute url, relative to base.
local function resolve(base, location)
  if location:match("^%a[%w+.-]*://") then return location end
  local root, path = base:match("^(%a[%w+.-]*://[^/?#]*)([^?#]*)")
  if location:sub(1, 2) == "//" then return base:match("^(%a[%w+.-]*:)") .. location end
  if location:sub(1, 1) == "/" then return root .. location end
  return root .. (path:match("^(.*/)") or "/") .. location
end

-- reader wraps a socket for the response: bounded lines, exact byte
-- counts, and whether anything at all arrived (for a safe retry).
local function reader(sock)
  local rd = {got_any = false}
  function rd.line()
    local line, err, partial = sock:recv_until("\n", MAX_LINE)
    if not line then
      if partial and partial ~= "" then rd.got_any = true end
      if err == "too long" then return nil, ("line longer than %d bytes"):format(MAX_LINE) end
      return nil, err
    end
    rd.got_any = true
    return (line:gsub("\r$", ""))
  end
  function rd.bytes(n)
    local data, err, partial = sock:recv_exactly(n)
    if not data then
      return nil, err, partial
    end
    return data
  end
  return rd
end

-- read_headers reads "Name: value" lines up to an empty line into
-- headers (lowercase names) and list ({name, value} pairs).
local function read_headers(rd, headers, list)
  local bytes = 0
  while true do
    local line, err = rd.line()
    if not line then return nil, err end
    if line == "" then return true end
    bytes = bytes + #line
    if #list >= MAX_HEADERS then return nil, ("more than %d header lines"):format(MAX_HEADERS) end
    if bytes > MAX_HEADER_BYTES then return nil, ("headers longer than %d bytes"):format(MAX_HEADER_BYTES) end
    -- A name is a token: no spaces, nothing before the colon but the name
    -- (a line that starts with a space would be an obsolete continuation).
    local name, value = line:match("^([!#$%%&'*+%-.^_`|~%w]+):[ \t]*(.-)[ \t]*$")
    if not name then return nil, ("bad header line: %q"):format(line) end
    list[#list + 1] = {name, value}
    local key = name:lower()
    headers[key] = headers[key] and headers[key] .. ", " .. value or value
  end
end

-- read_chunked reads a chunked body: "<hex size>[;ext]" lines, each
-- followed by that many bytes and \r\n, up to size 0, then trailers.
local function read_chunked(rd, res, max_body)
  local parts, total = {}, 0
  while true do
    local line, err = rd.line()
    if not line then return nil, err end
    local hex = line:match("^(%x+)[ \t]*;?") -- extensions after ";" are ignored
    if not hex or #hex > 8 then return nil, ("bad chunk size line: %q"):format(line) end
    local size = tonumber(hex, 16)
    if size == 0 then break end
    total = total + size
    if total > max_body then return nil, ("body larger than %d bytes"):format(max_body) end
    local data, derr = rd.bytes(size)
    if not data then return nil, derr end
    parts[#parts + 1] = data
    local crlf, cerr = rd.line()
    if crlf ~= "" then return nil, crlf and ("bad chunk: %q after its data, not \\r\\n"):format(crlf) or cerr end
  end
  res.trailers, res.trailer_list = {}, {}
  local ok, terr = read_headers(rd, res.trailers, res.trailer_list)
  if not ok then return nil, terr end
  return table.concat(parts)
end

-- read_to_end reads until the peer closes, at most max_body bytes.
local function read_to_end(sock, max_body)
  local parts, total = {}, 0
  while true do
    local data, err = sock:recv(64 * 1024)
    if not data then return nil, err end
    if data == "" then return table.concat(parts) end
    total = total + #data
    if total > max_body then return nil, ("body larger than %d bytes"):format(max_body) end
    parts[#parts + 1] = data
  end
end

-- read_response reads one response to a request with method; keep is
-- true when the connection can carry another request.
local function read_response(sock, method, max_body)
  local rd = reader(sock)
  local res
  repeat -- interim responses (1xx but 101) come before the real one
    local line, err = rd.line()
    if not line then return nil, err, rd.got_any end
    local version, status, reason = line:match("^HTTP/(%d%.%d) (%d%d%d) ?(.*)$")
    if not version then return nil, ("bad status line: %q"):format(line), true end
    res = {version = "HTTP/" .. version, status = tonumber(status), reason = reason, headers = {}, header_list = {}}
    local ok, herr = read_headers(rd, res.headers, res.header_list)
    if not ok then return nil, herr, true end
  until res.status >= 200 or res.status == 101

  local h = res.headers
  local conn = (h["connection"] or ""):lower()
  local keep = (res.version == "HTTP/1.1" and not conn:find("close", 1, true))
    or (res.version == "HTTP/1.0" and conn:find("keep-alive", 1, true) ~= nil)
  local te = (h["transfer-encoding"] or ""):lower()
  local body, err
  if method == "HEAD" or res.status == 204 or res.status == 304 or res.status < 200 then
    body = ""
  elseif te ~= "" then
    if te:match("chunked%s*$") then
      body, err = read_chunked(rd, res, max_body)
    else
      body, err = read_to_end(sock, max_body) -- another coding: its end is the end of the stream
      keep = false
    end
  elseif h["content-length"] then
    local cl = h["content-length"]
    local n = cl:match("^(%d+)$") or cl:match("^(%d+)[, ]+%1$") -- "5, 5" is allowed, "5, 6" is not
    if not n or #n > 15 then return nil, ("bad content-length %q"):format(cl), true end
    n = tonumber(n)
    if n > max_body then return nil, ("body larger than %d bytes"):format(max_body), true end
    local partial
    body, err, partial = rd.bytes(n)
    if not body and err == "closed" then
      err = ("closed after %d of %d body bytes"):format(#(partial or ""), n)
    end
  else
    body, err = read_to_end(sock, max_body)
    keep = false
  end
  if not body then return nil, err, true end
  res.body = body
  return res, keep
end

-- header_lines renders the request's header table; a name or value that
-- could end the line early (CR, LF) would let a caller's data smuggle a
-- second request, so it raises.
local function header_lines(headers)
  local names = {}
  for name in pairs(headers or {}) do names[#names + 1] = name end
  table.sort(names)
  local out, seen = {}, {}
  for _, name in ipairs(names) do
    local value = tostring(headers[name])
    if not name:match("^[!#$%%&'*+%-.^_`|~%w]+$") then error(("http: bad header name %q"):format(name), 0) end
    if value:find("[\r\n%z]") then error(("http: header %s has a CR, LF or NUL in its value"):format(name), 0) end
    out[#out + 1] = name .. ": " .. value .. "\r\n"
    seen[name:lower()] = value
  end
  return table.concat(out), seen
end

-- build_request renders the request's bytes; it returns them, the
-- method, and whether the request itself asks to close the connection.
local function build_request(req, u, keepalive)
  local method = (req.method or "GET"):upper()
  if not method:match("^%u+$") then error(("http: bad method %q"):format(method), 0) end
  local extra, seen = header_lines(req.headers)
  local lines = {("%s %s HTTP/1.1\r\n"):format(method, u.target)}
  if not seen["host"] then lines[#lines + 1] = "Host: " .. u.host .. "\r\n" end
  if not seen["user-agent"] then lines[#lines + 1] = "User-Agent: netplay\r\n" end
  if not seen["connection"] then
    lines[#lines + 1] = keepalive and "Connection: keep-alive\r\n" or "Connection: close\r\n"
  end
  local body = req.body or ""
  if (#body > 0 or method == "POST" or method == "PUT" or method == "PATCH") and not seen["content-length"] then
    lines[#lines + 1] = ("Content-Length: %d\r\n"):format(#body)
  end
  lines[#lines + 1] = extra
  lines[#lines + 1] = "\r\n"
  lines[#lines + 1] = body
  local closing = not keepalive or (seen["connection"] and seen["connection"]:lower():find("close", 1, true) ~= nil)
  return table.concat(lines), method, closing
end

local Client = {}
Client.__index = Client

local function new_client(opts, keepalive)
  return setmetatable({opts = opts or {}, idle = {}, opened = 0, keepalive = keepalive}, Client)
end

-- http.client([opts]) -> a client that keeps connections alive and reuses
-- them; opts (timeout, max_body, redirects, tls) are its defaults. c.opened
-- counts the connections it has made.
function http.client(opts)
  return new_client(opts, true)
end

-- connection returns an idle connection for u, and true, or a new
-- connection, and false, or nil, err. An https url's connection is TLS,
-- its certificate checked against the url's host.
function Client:connection(u, opts)
  local timeout = opts.timeout
  local sock = self.idle[u.key]
  if sock then
    self.idle[u.key] = nil
    return sock, true
  end
  local s, err
  if u.tls then
    local tls = {servername = u.servername}
    for k, v in pairs(opts.tls or {}) do tls[k] = v end
    s, err = socket.connect(u.addr, {tls = tls, timeout = timeout})
  else
    s, err = socket.connect(u.addr, timeout)
  end
  if not s then return nil, err end
  self.opened = self.opened + 1
  s:settimeout(timeout)
  return s, false
end

-- once sends one request (no redirects) and reads its response.
function Client:once(req, u, opts)
  local payload, method, closing = build_request(req, u, self.keepalive)
  for _ = 1, 2 do
    local sock, reused = self:connection(u, opts)
    if not sock then return nil, reused end
    local res, err, got_any
    local ok, serr = sock:sendall(payload)
    if ok then
      local keep
      res, keep, got_any = read_response(sock, method, opts.max_body)
      if res and keep and not closing then
        self.idle[u.key] = sock
        return res
      end
      err = not res and keep or nil
    else
      err = serr
    end
    sock:close()
    if res then return res end
    -- A reused connection the server closed while it was idle: send again
    -- on a new one, but only if no byte of a response came back.
    if not (reused and not got_any and (err == "closed" or err == "connection reset")) then
      return nil, err
    end
  end
end

-- c:request(req) -> response | nil, err. req: {method, url, headers,
-- body, timeout, max_body, redirects, tls}; res.url is the url that
-- answered.
function Client:request(req)
  local url = req.url or error("http: request needs a url", 0)
  local opts = {}
  for _, k in ipairs({"timeout", "max_body", "redirects", "tls"}) do
    if req[k] ~= nil then opts[k] = req[k] else opts[k] = self.opts[k] end
  end
  opts.timeout = opts.timeout or DEFAULT_TIMEOUT
  opts.max_body = opts.max_body or DEFAULT_MAX_BODY
  local redirects = opts.redirects or 0
  local current = {method = req.method, headers = req.headers, body = req.body}
  for _ = 0, redirects do
    local u, err = parse_url(url)
    if not u then return nil, err end
    local res, rerr = self:once(current, u, opts)
    if not res then return nil, rerr end
    res.url = url
    local location = res.headers["location"]
    local s = res.status
    local redirect = s == 301 or s == 302 or s == 303 or s == 307 or s == 308
    if not (redirect and location and redirects > 0) then return res end
    url = resolve(url, location)
    -- 303, and 301/302 after a POST (as browsers do): the next request is
    -- a GET without the body; 307 and 308 repeat the request as it was.
    local method = (current.method or "GET"):upper()
    if s == 303 or ((s == 301 or s == 302) and method == "POST") then
      current = {method = method == "HEAD" and "HEAD" or "GET", headers = current.headers}
    end
  end
  return nil, ("more than %d redirects"):format(redirects)
end

-- c:get(url[, opts]) -> response | nil, err.
function Client:get(url, opts)
  local req = {url = url, method = "GET"}
  for k, v in pairs(opts or {}) do req[k] = v end
  return self:request(req)
end

-- c:close() closes the idle connections.
function Client:close()
  for key, sock in pairs(self.idle) do
    sock:close()
    self.idle[key] = nil
  end
end

-- http.request(req) -> response | nil, err: one request on a connection
-- of its own ("Connection: close"), closed afterwards.
function http.request(req)
  return new_client(nil, false):request(req)
end

-- http.get(url[, opts]) -> response | nil, err.
function http.get(url, opts)
  return new_client(nil, false):get(url, opts)
end

return http
