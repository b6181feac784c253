function test_one()
  local x = = 1
end
