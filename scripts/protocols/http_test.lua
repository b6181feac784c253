-- http.lua, tested (netplay test scripts/protocols/http_test.lua) against
-- an HTTP server the test writes itself, in virtual time. The Go tests run
-- it against Go's net/http and Python's http.server too.

testing.virtual_time()

local http = run("http.lua") -- the module beside this file

-- responses by request target; each is the bytes after the request.
local responses = {
  ["/fixed"] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
  ["/chunked"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" ..
    "4;part=1\r\none \r\n3\r\ntwo\r\n0\r\nX-Sum: 7\r\n\r\n",
  ["/moved"] = "HTTP/1.1 302 Found\r\nLocation: /fixed\r\nContent-Length: 0\r\n\r\n",
  ["/broken"] = "HTTP/1.1 OK\r\n\r\n",
}

-- server answers every request on a connection in turn (keep-alive) and
-- counts connections; it runs until the end of the test.
local function server()
  local count = {connections = 0, requests = 0}
  local addr = testing.server(function(conn)
    count.connections = count.connections + 1
    while true do
      local head = conn:recv_until("\r\n\r\n", 8192)
      if not head then break end
      count.requests = count.requests + 1
      local method, target = head:match("^(%u+) (%S+) HTTP/1%.1\r\n")
      local response = responses[target] or "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
      if method == "HEAD" then response = response:gsub("\r\n\r\n.*$", "\r\n\r\n") end
      conn:sendall(response)
      if head:find("\r\nConnection: close\r\n", 1, true) then break end
    end
    conn:close()
  end)
  return "http://" .. addr, count
end

function test_fixed_length_and_chunked_bodies()
  local base = server()
  local res = assert(http.get(base .. "/fixed"))
  expect.eq({res.status, res.reason, res.body, res.headers["content-type"]}, {200, "OK", "hello", "text/plain"})
  res = assert(http.get(base .. "/chunked"))
  expect.eq(res.body, "one two", "chunks joined, their extension ignored")
  expect.eq(res.trailers, {["x-sum"] = "7"})
  res = assert(http.request{method = "HEAD", url = base .. "/fixed"})
  expect.eq({res.status, res.body, res.headers["content-length"]}, {200, "", "5"})
end

function test_a_client_keeps_its_connection()
  local base, count = server()
  local c = http.client()
  for _ = 1, 3 do
    expect.eq(assert(c:get(base .. "/fixed")).body, "hello")
    expect.eq(assert(c:get(base .. "/chunked")).body, "one two")
  end
  expect.eq({c.opened, count.connections, count.requests}, {1, 1, 6})
  c:close()
  assert(http.get(base .. "/fixed"))
  assert(http.get(base .. "/fixed"))
  expect.eq(count.connections, 3, "http.get uses a connection once")
end

function test_redirects_only_when_asked()
  local base = server()
  local res = assert(http.get(base .. "/moved"))
  expect.eq({res.status, res.headers.location}, {302, "/fixed"})
  res = assert(http.get(base .. "/moved", {redirects = 1}))
  expect.eq({res.status, res.body, res.url}, {200, "hello", base .. "/fixed"})
end

function test_a_malformed_status_line()
  local base = server()
  local res, err = http.get(base .. "/broken")
  expect.eq(res, nil)
  expect.eq(err, 'bad status line: "HTTP/1.1 OK"')
end
