package lualib_test

import (
	"regexp"
	"testing"

	"netplay/runtime/luatest"
)

// Peek and push back, structured codecs and module paths, specified in Lua.
func TestProtocolToolsLua(t *testing.T) {
	for _, file := range []string{"testdata/peek_test.lua", "testdata/structured_test.lua"} {
		t.Run(file, func(t *testing.T) { luatest.RunFile(t, file, nil) })
	}
}

// The trace shows a structured frame as the bytes it was decoded from.
func TestTraceShowsStructuredFrameBytes(t *testing.T) {
	r := luatest.MustRun(t, `
		local T = require("luatest")
		local c, s = T.pair()
		local kv = frame.new{
			name = "kv",
			encode = function(m) return m end,
			decode = function(buf)
				local nl = buf:find("\n", 1, true)
				if nl then return {line = buf:sub(1, nl - 1)}, nl end
			end,
		}
		trace(true)
		assert(s:sendall("a=1\nb=2\n"))
		local f = frame.wrap(c, kv)
		assert(f:recv().line == "a=1")
		assert(f:recv().line == "b=2")
		trace(false)
	`, nil)
	for _, want := range []string{`<- frame 1 complete (4 bytes) "a=1\n"`, `<- frame 2 complete (4 bytes) "b=2\n"`} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(r.Stderr) {
			t.Errorf("trace lacks %s:\n%s", want, r.Stderr)
		}
	}
}
