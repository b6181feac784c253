-- a script for :load: defines a global and returns its arguments
function greet(name)
  return "hello, " .. name
end
local count = select("#", ...)
print("greet.lua loaded with " .. count .. " arguments; arg[0] = " .. arg[0])
return ...
