function test_waits_forever()
  local a, b = socket.pair()
  spawn(function() sleep(1e9) end)
  a:recv(1)
end

function test_spins()
  while true do end
end

function test_after_the_hangs()
end
