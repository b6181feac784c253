-- testing.virtual_time() anywhere but as a top-level statement.

function test_virtual_time_inside_a_test()
  testing.virtual_time()
end
