-- No testing.virtual_time() here: an hour of sleep times out in real
-- time, and passes at once under netplay test --virtual-time.

function test_sleep_an_hour()
  sleep(3600)
  expect.eq(monotonic() >= 3600, true)
end
