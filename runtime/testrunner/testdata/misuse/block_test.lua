do
  testing.virtual_time()
end

function test_never_runs() end
