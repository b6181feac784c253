package lualib_test

import (
	"testing"

	"go.uber.org/goleak"

	"netplay/runtime/luatest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The Lua files in testdata specify module behaviour in the language users
// write; each test_* function is a subtest.
func TestLuaFiles(t *testing.T) {
	for _, file := range []string{"testdata/socket_test.lua", "testdata/tasks_test.lua", "testdata/frame_test.lua", "testdata/lua51_test.lua", "testdata/sync_test.lua", "testdata/tls_test.lua", "testdata/errors_test.lua"} {
		t.Run(file, func(t *testing.T) { luatest.RunFile(t, file, nil) })
	}
}
