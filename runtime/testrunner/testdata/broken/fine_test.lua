-- A file that loads, beside two that do not: its tests still run.

function test_fine()
end
