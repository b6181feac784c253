local x = 1
for i = 1, 3 do
  print(i)
