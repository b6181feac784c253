-- Tests run in the order they are defined, however they are defined
-- (pairs order and sorted order would differ).

function test_zebra() print("zebra") end
function test_apple() print("apple") end
test_mango = function() print("mango") end
_G["test_" .. "kiwi"] = function() print("kiwi") end
for _, name in ipairs{"fig", "banana"} do
  _G["test_" .. name] = function() print(name) end
end
function test_cherry() print("cherry") end
not_a_test = function() error("not a test") end
test_not_a_function = 42
