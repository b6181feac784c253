function test_never_runs()
end

print("loading")
local config = nil
local port = config.port
