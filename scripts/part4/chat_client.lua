-- Part IV: a chat client; what you type goes to the room while what the others say is printed
--
-- Two things happen at once: lines typed at the keyboard go to the server,
-- and messages from the server are printed as they arrive. Each gets its
-- own task. io.lines() waits for the keyboard in its task only (the other
-- task keeps printing meanwhile), as f:recv() waits for the network in its
-- own.
--
-- A line is one message; /quit or the end of the input (Ctrl-D) leaves:
-- the client shuts down its side of the connection, the server tells the
-- others and closes, and the receiving loop sees the end.
--
-- Arguments: [host:]port of part4/chat_server (default 127.0.0.1:1234)
-- and your NAME (asked for when missing).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local HEADERSIZE = 10

local name = arg[2]
if not name then
  io.write("your name: ")
  name = io.read() or ""
end

local s = assert(socket.connect(ADDR))
local f = frame.wrap(s, frame.header(HEADERSIZE))
assert(f:send(name))

-- The keyboard: one message a line.
local keyboard = spawn(function()
  for line in io.lines() do
    if line == "/quit" then break end
    if line ~= "" and not f:send(line) then return end
  end
  s:shutdown("w") -- no more messages from us: the server sees the end
end)

-- The network: print every message until the server closes.
while true do
  local msg, err = f:recv()
  if not msg then
    print(("(disconnected: %s)"):format(err))
    break
  end
  print(msg)
end
keyboard:cancel() -- stop reading the keyboard if it still waits
s:close()
