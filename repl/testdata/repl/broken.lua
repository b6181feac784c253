local x =
  = 2
