-- Part III: receive a table as JSON in a header frame, rebuild it and print it
--
-- The client of part3/object_server. It reads one frame exactly as the
-- Part II client does (frame.header(10)), then turns the JSON text back
-- into a Lua table with json.decode: where the seed's client calls
-- pickle.loads, which would run any code the bytes ask for (see the
-- server's comment), json.decode only builds data, and returns nil, err
-- for anything that is not JSON.
--
-- Argument: [host:]port of the server (default 127.0.0.1:1234).

local ADDR = socket.address(arg[1], "127.0.0.1:1234")
local HEADERSIZE = 10

-- show writes a value as a Lua table constructor, keys sorted, nested
-- tables indented: what json.decode rebuilt, in the syntax you would type.
local function show(v, indent)
  indent = indent or ""
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) ~= "table" then return tostring(v) end
  if #v > 0 then -- an array: its elements on one line
    local parts = {}
    for i = 1, #v do parts[i] = show(v[i], indent) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  if #keys == 0 then return "{}" end
  table.sort(keys)
  local lines = {}
  for _, k in ipairs(keys) do
    lines[#lines + 1] = ("%s  %s = %s,"):format(indent, k, show(v[k], indent .. "  "))
  end
  return "{\n" .. table.concat(lines, "\n") .. "\n" .. indent .. "}"
end

local s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert(s:connect(ADDR))
local f = frame.wrap(s, frame.header(HEADERSIZE))

local msg, err = f:recv()
if not msg then
  print("no message: " .. err)
  return
end
print(("new message length: %d"):format(#msg))

local obj, jerr = json.decode(msg)
if not obj then
  print("bad message: " .. jerr)
  return
end
-- A peer may send any JSON at all: check the shape before using it.
if type(obj) ~= "table" or type(obj.player) ~= "table" then
  print("unexpected message: " .. msg)
  return
end
print(show(obj))
print(("player %s is at level %d and carries a %s"):format(obj.player.name, obj.player.level, obj.player.items[2]))
s:close()
