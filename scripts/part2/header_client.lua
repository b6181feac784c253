-- Part II.2: read header-framed messages correctly, however the bytes arrive
--
-- Seed section II.2 (header_client.py). The seed's client reads 16 bytes
-- at a time and gets four things wrong:
--   1. it assumes each recv(16) starts a new message: when two messages
--      arrive in one read, the second one's header is taken for text and
--      the message never "completes" (it hangs);
--   2. when a header is split over two reads, int() gets half a header,
--      or text, and crashes;
--   3. it counts characters, not bytes (len(full_msg) after decode), so a
--      message with multi-byte UTF-8 characters never completes;
--   4. at the end of the stream recv returns b'' forever: it loops for good.
-- frame.header(10) decodes from the socket's buffer instead: it waits
-- for all 10 header bytes, then for exactly that many message bytes (bytes,
-- not characters), keeps whatever follows for the next frame, refuses a
-- malformed header or one that announces more than 1 MiB, and reports the
-- end of the stream.
--
-- Arguments: [host:]port of the server (default 127.0.0.1:1234), and
-- optionally how many messages to show before leaving (default: all).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local COUNT = tonumber(arg[2])
local HEADERSIZE = 10

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:connect(ADDR))

local f = frame.wrap(s, frame.header(HEADERSIZE))
local received = 0
while not COUNT or received < COUNT do
  local msg, err, partial = f:recv()
  if not msg then
    if err == "closed" and partial == "" then
      print("the server closed the connection")
    elseif err == "closed" then
      print(("the server closed the connection in the middle of a message (%d bytes of it arrived)"):format(#partial))
      os.exit(1) -- not a clean end: the status says so
    else
      print("error: " .. err)
      os.exit(1) -- a bad header, a frame too large, a reset
    end
    break
  end
  print(("new message length: %d"):format(#msg))
  print("full message received")
  print(msg)
  received = received + 1
end
s:close()
