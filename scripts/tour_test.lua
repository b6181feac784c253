testing.virtual_time()

-- The guided tour, tested (netplay test scripts/tour_test.lua). Under
-- virtual time it runs in milliseconds and prints the same ports and
-- times on every run, so its whole output is checked.

function test_the_tour_runs_every_stage()
  run("tour.lua")
  local out = testing.output()
  local want = [[

== Part I.1: a server accepts connections, says welcome and hangs up (part1/server)

== Part I.2: a client reads the message with recv(1024) (part1/client)
connection from 127.0.0.1:40001 has been established!
welcome to the server!

== Part I.4.1: recv(8) gets only the first 8 bytes (part1/client_recv8)
connection from 127.0.0.1:40002 has been established!
welcome 

== Part I.4.2: recv(8) in a loop gets the message in 8-byte pieces (part1/client_recv8_loop)
connection from 127.0.0.1:40003 has been established!
welcome 
to the s
erver!

== Part I.4.3: gather the pieces until the server closes (part1/client_stream)
connection from 127.0.0.1:40004 has been established!
welcome to the server!

== Part II.1: a 10-byte header before each message says how long it is (part2/header_server, interval 0)

== Part II.2: the client reads the header, then exactly that many bytes (part2/header_client)
connection from 127.0.0.1:40006 has been established!
new message length: 22
full message received
Welcome to the server!
the server closed the connection

== Part II.4: the server sends the time every 0.05 s; the client shows three messages and leaves
connection from 127.0.0.1:40008 has been established!
new message length: 22
full message received
Welcome to the server!
new message length: 29
full message received
The time is 1767225600.050000
new message length: 29
full message received
The time is 1767225600.100000

== Tour done. Try `netplay run part1/server` in one terminal and `netplay run part1/client` in another, or `netplay list`.
]]
  expect.eq(out, want)
end
