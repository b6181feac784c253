-- setup and teardown run around every test; teardown even when it fails.

local log = {}

function setup()
  print("setup")
end

function teardown()
  print("teardown")
end

function test_fails_between()
  print("test")
  error("boom")
end

function test_skips_in_the_middle()
  print("test")
  testing.skip("later")
end
