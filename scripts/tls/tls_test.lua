-- The TLS scripts, tested (netplay test scripts/tls), on real loopback:
-- the echo server makes a self-signed certificate and saves it, the
-- client trusts exactly that one.

-- start runs echo_server.lua (beside this file) saving its certificate
-- to a temporary file; both go at the end of the test.
local function start()
  local addr, pem = testing.free_addr(), os.tmpname()
  local server = spawn(run, "echo_server.lua", addr, pem)
  testing.cleanup(function()
    server:cancel{children = true}
    os.remove(pem)
  end)
  return addr, pem
end

-- output_of runs a script and returns what was printed meanwhile.
local function output_of(...)
  local before = #testing.output()
  local ok, err = pcall(run, ...)
  return testing.output():sub(before + 1), not ok and err or nil
end

function test_client_talks_to_the_echo_server()
  local addr, pem = start()
  local out, err = output_of("client.lua", addr, pem)
  expect.eq(err, nil)
  expect.truthy(out:find("connected with TLS 1.3 (", 1, true), out)
  expect.truthy(out:find("echo: hello\necho: over TLS\necho: bye\n", 1, true), out)
end

function test_echo_server_announces_its_certificate()
  local _, pem = start()
  local out = testing.output()
  expect.truthy(out:match("^TLS echo on 127%.0%.0%.1:%d+, certificate CN=localhost"), out)
  expect.truthy(out:find("certificate saved to " .. pem, 1, true), out)
  local f = assert(io.open(pem))
  expect.truthy(f:read("*a"):find("-----BEGIN CERTIFICATE-----", 1, true))
  f:close()
end

function test_client_refuses_a_certificate_it_does_not_trust()
  local addr = start()
  local other = os.tmpname() -- a second server's certificate: the wrong one
  local server2 = spawn(run, "echo_server.lua", testing.free_addr(), other)
  testing.cleanup(function() server2:cancel{children = true}; os.remove(other) end)
  local out, err = output_of("client.lua", addr, other)
  expect.eq(err:match("os%.exit%(%d%)"), "os.exit(1)")
  expect.truthy(out:find("could not connect: ", 1, true), out)
end

function test_a_plain_client_is_turned_away()
  local addr = start()
  local c = assert(socket.connect(addr))
  c:sendall("hello\n")
  c:settimeout(5)
  local data = c:recv(100)
  expect.ne(data, "hello\n") -- no echo in the clear
  c:close()
end
