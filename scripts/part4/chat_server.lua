-- Part IV: a chat room; every message goes to every other client, and a client that stops reading is dropped
--
-- Header framing as in Part II; each client has a task of its own that
-- reads its messages, and a second one that writes what is queued for it.
-- The first frame a client sends is its name, refused (with a message,
-- then the connection closes) when it is empty, too long or taken. Every
-- later frame is a message, sent to every other client as "name > text".
-- Joins and leaves are announced to the others as "* name joined".
--
-- The hard part is a client that stops reading. Its socket's buffers fill
-- up and a send to it waits; if the task that received a message sent it
-- to each client itself, one such client would stall everybody. So each
-- client gets a bounded queue (sync.queue) and a writer task that takes
-- messages from it; broadcasting only puts into queues. A queue fills up
-- only when its client stops reading for a while: a put that still finds
-- it full after PATIENCE seconds drops that client, with a notice to the
-- others, who lose nothing.
--
-- Code between two waits runs as one piece (tasks switch only where they
-- wait: recv, send, queue put/get, ...), so the clients table needs no
-- lock; only across a wait can it change under us (see broadcast).
--
-- Arguments: [host:]port (default 127.0.0.1:1234), QUEUE messages waiting
-- per client (default 100), PATIENCE in seconds (default 5).
-- Then, in other terminals: netplay run part4/chat_client 1234 ann

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local QUEUE = tonumber(arg[2] or 100)
local PATIENCE = tonumber(arg[3] or 5)
local HEADERSIZE = 10
local MAX_NAME = 20 -- bytes
local MAX_MESSAGE = 64 * 1024 -- bytes; a longer frame ends the connection
local NAME_TIMEOUT = 30 -- seconds a new client has to say who it is

local clients = {} -- name -> {name, sock, f, queue, gone}

local drop -- defined below; broadcast and drop call each other

-- deliver queues text for client c, waiting at most PATIENCE seconds for
-- room; a queue that stays full means c stopped reading: drop it.
local function deliver(c, text)
  local ok, err = c.queue:put(text, PATIENCE)
  if not ok and err == "timeout" then
    drop(c, "not reading")
  end
end

-- broadcast sends text to every client but except. deliver can wait, and
-- while it waits clients may join or leave: so the list is copied first
-- (a Lua table must not gain keys while pairs() walks it), and a client
-- that left in the meantime is skipped.
local function broadcast(text, except)
  local targets = {}
  for _, c in pairs(clients) do
    if c ~= except then targets[#targets + 1] = c end
  end
  for _, c in ipairs(targets) do
    if not c.gone then deliver(c, text) end
  end
end

-- leave takes c out of the room (once), closes its connection and stops
-- its writer (closing its queue wakes it).
local function leave(c, notice, log)
  if c.gone then return end
  c.gone = true
  clients[c.name] = nil
  c.queue:close()
  -- close() first writes anything held back, waiting if it must: with a
  -- client that does not read it could wait for ever, so not here.
  c.sock:settimeout(0)
  c.sock:close()
  print(log)
  broadcast(notice)
end

function drop(c, why)
  leave(c, ("* %s was dropped (%s)"):format(c.name, why), ("%s dropped: %s"):format(c.name, why))
end

-- writer sends what is queued for c, in order, until the queue closes or
-- the connection fails.
local function writer(c)
  while true do
    local text = c.queue:get()
    if not text or not c.f:send(text) then return end
  end
end

-- refusal says what is wrong with a name, or nil when it is fine.
local function refusal(name)
  if name == "" then return "empty" end
  if #name > MAX_NAME then return ("longer than %d bytes"):format(MAX_NAME) end
  if clients[name] then return name .. " is taken" end
end

-- serve talks to one client, in its own task.
local function serve(sock, address)
  local f = frame.wrap(sock, frame.header(HEADERSIZE), {max = MAX_MESSAGE})
  sock:settimeout(NAME_TIMEOUT)
  local name = f:recv()
  sock:settimeout(nil)
  if not name then sock:close() return end
  local why = refusal(name)
  if why then
    print(("refused %s: %s"):format(address, why))
    f:send("name refused: " .. why)
    sock:close()
    return
  end

  local others = {}
  for other in pairs(clients) do others[#others + 1] = other end
  table.sort(others)
  local c = {name = name, sock = sock, f = f, queue = sync.queue(QUEUE)}
  clients[name] = c
  print(("%s joined from %s"):format(name, address))
  if #others == 0 then
    c.queue:put(("welcome, %s! nobody else is here yet"):format(name))
  else
    c.queue:put(("welcome, %s! also here: %s"):format(name, table.concat(others, ", ")))
  end
  spawn(writer, c)
  broadcast(("* %s joined"):format(name), c)

  while not c.gone do
    local text, err = f:recv()
    if not text then
      local log = name .. " left"
      if err ~= "closed" then log = ("%s left (%s)"):format(name, err) end
      leave(c, ("* %s left"):format(name), log)
      break
    end
    broadcast(("%s > %s"):format(name, text), c)
  end
end

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:bind(ADDR))
s:listen(5)
while true do
  local clientsocket, address = s:accept()
  spawn(serve, clientsocket, address)
end
