package lualib_test

import (
	"testing"

	"netplay/runtime/luatest"
)

// Peek and push back, structured codecs and module paths, specified in Lua.
func TestProtocolToolsLua(t *testing.T) {
	for _, file := range []string{"testdata/peek_test.lua"} {
		t.Run(file, func(t *testing.T) { luatest.RunFile(t, file, nil) })
	}
}
