-- A netplay bench script for a line protocol: send "ping N", expect "pong N".
--
--     netplay run bench/pingpong_server 5556
--     netplay bench 5556 --codec line --script testdata/bench/pingpong.lua

-- request makes the payload of message seq on connection conn; the codec
-- (--codec line) adds the "\n".
function request(conn, seq)
  return "ping " .. seq
end

-- check gets the request and the reply payloads: true when the reply is
-- right, else false and why.
function check(req, reply, conn, seq)
  local want = "pong " .. seq
  if reply ~= want then
    return false, "want " .. want
  end
  return true
end
