-- TLS: a client that checks the server's certificate, then talks
--
-- It trusts the certificate tls/echo_server saved (echo_server.pem), or
-- the system's authorities for a real server. A certificate that does not
-- match says why: "tls: unknown certificate authority", "tls: certificate
-- is valid for localhost, not example.test".
--   netplay run tls/client [[host:]port [CA.pem]]

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local CA = arg[2] or "echo_server.pem"

local c, err = socket.connect(ADDR, {tls = {ca = CA, servername = "localhost"}, timeout = 5})
if not c then
  print("could not connect: " .. err)
  os.exit(1)
end
local i = c:tlsinfo()
print(("connected with %s (%s) to %s"):format(i.version, i.cipher, i.peer.subject))

local lines = frame.wrap(c, frame.line())
for _, msg in ipairs({"hello", "over TLS", "bye"}) do
  lines:send(msg)
  print("echo: " .. lines:recv())
end
c:close()
