-- Every test gets a fresh copy of the file's state: upvalues, globals,
-- loaded modules, tasks, sockets and the clock start again. Each test
-- below passes only if it runs first; run in any order, all pass.

local count = 0
counter = 0
package.preload["counter"] = function() return {n = 0} end

local function bump()
  count = count + 1
  counter = counter + 1
  local m = require("counter")
  m.n = m.n + 1
  expect.eq({count, counter, m.n}, {1, 1, 1})
end

function test_one() bump() end
function test_two() bump() end
function test_three()
  bump()
  math.huge_seen = true -- the host's own tables are fresh too
end
function test_four()
  bump()
  expect.eq(math.huge_seen, nil)
end
