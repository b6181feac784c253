-- Part III: send a Lua table to each client, as JSON inside a header frame
--
-- The seed's series goes on from Part II by sending whole Python objects:
-- the server pickles a dict and sends the bytes behind the same 10-byte
-- header. Here the object is a Lua table and the bytes are JSON.
--
-- Why not pickle (or Lua's own load)? Unpickling runs code: a pickle can
-- name any function and its arguments (__reduce__), so pickle.loads on
-- bytes from the network lets whoever connects run os.system("...") on
-- your machine. Python's documentation says it in red: never unpickle data
-- from a source you do not trust, and a network peer is one. The same goes
-- for load()ing a Lua chunk a peer sent. JSON is data only: decoding it can
-- make strings, numbers, booleans, arrays and objects, and nothing else;
-- json.decode refuses malformed text with an error and stops at 1000
-- levels of nesting, and the frame header bounds the size (1 MiB). The
-- worst a peer can do is send a value you did not expect, so the client
-- still checks what it got.
--
-- Argument: [host:]port to listen on (default 127.0.0.1:1234).
-- Then: netplay run part3/object_client

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local HEADERSIZE = 10

-- The object: nested tables of strings, numbers and booleans. A table
-- with keys 1..n becomes a JSON array, any other a JSON object (its keys
-- become strings). The seed's dict {1: "hi", 2: "there"} is the array
-- {"hi", "there"} here.
local message = {
  seed = {"hi", "there"},
  numbers = {1, 2, 3.5, -40},
  ok = true,
  done = false,
  player = {
    name = "ann",
    level = 7,
    items = {"sword", "map"},
    position = {x = 1.5, y = -2},
  },
}

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:bind(ADDR))
s:listen(5)

while true do
  local clientsocket, address = s:accept()
  print(("connection from %s has been established!"):format(address))
  local f = frame.wrap(clientsocket, frame.header(HEADERSIZE))
  -- json.encode sorts object keys, so the bytes are the same every time.
  f:send(json.encode(message))
  clientsocket:close()
end
