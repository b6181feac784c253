-- Peek at a connection's first bytes, then speak what the client speaks: RESP, HTTP or text lines
--
-- One port, several protocols: the server reads nothing until it has
-- looked. sock:peek(n) shows the bytes that have arrived without taking
-- them (it waits for at least one); sock:unread(data) puts bytes back in
-- front. Either way the codec chosen afterwards reads the connection from
-- its very first byte.
--
--   first byte 0x16   a TLS ClientHello (a TLS record of type 22,
--                     handshake, then the version, 0x03 0x0n)
--   first byte "*"    a RESP array: a Redis client (PING, ECHO)
--   a first line like "GET /path HTTP/1.1"   HTTP
--   anything else     text lines, echoed back
--
-- Try it:  netplay run protocols/sniff_server 7000
--          redis-cli -p 7000 PING;  curl http://127.0.0.1:7000/hello;
--          nc 127.0.0.1 7000
--
-- Argument: [host:]port (default 127.0.0.1:1234).

local resp = require("protocols.resp")

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local MAX_LINE = 8192

local serve_plain -- defined below: sniff, then serve (serve_tls calls it too)

-- serve_tls answers a TLS ClientHello: the server's side of the
-- handshake, with a throwaway certificate for localhost, starts from the
-- peeked bytes (starttls takes what is buffered as the start of the TLS
-- stream); then the same sniffing runs again inside TLS, so RESP, HTTP
-- (https) and text lines all work encrypted too.
local function serve_tls(sock, peer)
  local ok, err = sock:starttls{server = true, selfsigned = true}
  if not ok then
    print(("%s speaks TLS, but the handshake failed: %s"):format(peer, err))
    sock:close()
    return
  end
  print(("%s speaks TLS (%s)"):format(peer, sock:tlsinfo().version))
  return serve_plain(sock, peer)
end

-- serve_resp answers Redis commands; resp.codec is a structured codec, so
-- f:recv() returns each command already parsed: {"ECHO", "hello"}.
local function serve_resp(sock, peer)
  print(("%s speaks RESP"):format(peer))
  local f = frame.wrap(sock, resp.codec({max = 64 * 1024}))
  while true do
    local cmd, err = f:recv()
    if not cmd then
      if err ~= "closed" then sock:sendall("-ERR " .. err .. "\r\n") end
      break
    end
    local name = type(cmd) == "table" and type(cmd[1]) == "string" and cmd[1]:upper()
    local reply
    if name == "PING" then
      reply = "+PONG\r\n"
    elseif name == "ECHO" and cmd[2] then
      reply = ("$%d\r\n%s\r\n"):format(#cmd[2], cmd[2])
    else
      reply = ("-ERR unknown command '%s'\r\n"):format(tostring(name or "?"))
    end
    sock:sendall(reply)
  end
  sock:close()
end

-- serve_http answers one HTTP request with a line of text, then closes.
local function serve_http(sock, peer, request_line)
  print(("%s speaks HTTP: %s"):format(peer, request_line))
  for _ = 1, 100 do -- the headers, up to the empty line; at most 100 of them
    local line = sock:recv_until("\n", MAX_LINE)
    if not line or line == "" or line == "\r" then break end
  end
  local body = ("you spoke HTTP: %s\n"):format(request_line)
  sock:sendall(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"):format(#body, body))
  sock:close()
end

-- serve_text echoes lines.
local function serve_text(sock, peer)
  print(("%s speaks text"):format(peer))
  local f = frame.wrap(sock, frame.line("\n", {max = MAX_LINE}))
  while true do
    local line, err, partial = f:recv()
    if not line then
      if err ~= "closed" then
        f:send("error: " .. err)
      elseif partial ~= "" then -- the peer closed in the middle of a line
        f:send("you said (no newline): " .. partial)
      end
      break
    end
    f:send("you said: " .. line)
  end
  sock:close()
end

-- serve_plain sniffs the first bytes and hands the socket to a protocol.
function serve_plain(sock, peer)
  local first = sock:peek(1) -- waits for one byte, takes none
  if first == "" then sock:close() return end
  if first == "\22" then return serve_tls(sock, peer) end
  if first == "*" then return serve_resp(sock, peer) end
  -- HTTP or text: that needs the whole first line. Take it and look; for
  -- text, put it back so the line protocol reads it again.
  local line, err, partial = sock:recv_until("\n", MAX_LINE)
  if not line then
    -- The stream ended before a whole line: what came is handed over in
    -- partial, so it goes back. A line too long for HTTP stays buffered
    -- (partial is only a copy). Either way, text.
    if err == "closed" then sock:unread(partial) end
    return serve_text(sock, peer)
  end
  local request_line = line:gsub("\r$", "")
  if request_line:match("^%u+ %S+ HTTP/1%.[01]$") then
    return serve_http(sock, peer, request_line)
  end
  sock:unread(line .. "\n")
  return serve_text(sock, peer)
end

local listener = assert(socket.listen(ADDR))
print("sniffing server on " .. listener:getsockname())
while true do
  local sock, peer = listener:accept()
  spawn(serve_plain, sock, peer)
end
