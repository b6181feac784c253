-- TLS: an echo server with a throwaway certificate (or your own)
--
-- The same line echo as ever, but the bytes on the wire are encrypted
-- (Go's crypto/tls). With no certificate files it makes a self-signed one
-- for localhost and prints its fingerprint; a client trusts it with
-- {ca = <its PEM>} or {insecure = true}.
--   netplay run tls/echo_server [[host:]port [SAVE.pem [CERT.pem KEY.pem]]]
--   netplay run tls/client       (in another terminal)
-- SAVE.pem (default echo_server.pem) is where the certificate is saved for
-- the client.

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local SAVE = arg[2] or "echo_server.pem"

local tls = {selfsigned = true}
if arg[3] then tls = {cert = arg[3], key = arg[4]} end

local srv = assert(socket.listen(ADDR, {tls = tls}))
local info = srv:tlsinfo()
print(("TLS echo on %s, certificate %s"):format(srv:getsockname(), info.subject))
print("fingerprint " .. info.fingerprint)

-- The client needs this certificate to trust ours: save it where it looks.
local f = assert(io.open(SAVE, "w"))
f:write(srv:certificate_pem())
f:close()
print("certificate saved to " .. SAVE)

while true do
  local conn, peer = srv:accept()
  if conn then
    spawn(function()
      -- The handshake runs at the first read, here in the handler's task,
      -- so a slow or broken client never holds up accept.
      local lines = frame.wrap(conn, frame.line())
      local first, err = lines:recv()
      if not first then
        print(("%s: %s"):format(peer, err)) -- e.g. "tls: the peer does not speak TLS"
        conn:close()
        return
      end
      local i = conn:tlsinfo()
      print(("%s speaks %s (%s)"):format(peer, i.version, i.cipher))
      local msg = first
      repeat
        lines:send(msg)
        msg = lines:recv()
      until not msg
      conn:close()
    end)
  else
    print("accept failed: " .. peer)
  end
end
