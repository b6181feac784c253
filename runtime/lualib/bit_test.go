package lualib_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"netplay/runtime/luatest"
)

// The bit module gives LuaJIT's results: testdata/bit/vectors.lua holds
// thousands of calls with what LuaJIT 2.1 returned (made by
// testdata/bit/gen_vectors.lua under luajit).
func TestBitMatchesLuaJIT(t *testing.T) {
	vectors, err := os.ReadFile("testdata/bit/vectors.lua")
	if err != nil {
		t.Fatal(err)
	}
	r := luatest.MustRun(t, `
		local cases = assert(loadstring(vectors, "vectors.lua"))()
		local bad = {}
		local function show(v)
			if type(v) == "string" then return string.format("%q", v) end
			return tostring(v)
		end
		for i, c in ipairs(cases) do
			local name, args, want = c[1], c[2], c[3]
			local got = bit[name](unpack(args, 1, table.maxn(args)))
			if got ~= want or type(got) ~= type(want) then
				local shown = {}
				for j = 1, table.maxn(args) do shown[j] = show(args[j]) end
				bad[#bad + 1] = string.format("bit.%s(%s) = %s, LuaJIT: %s", name, table.concat(shown, ", "), show(got), show(want))
			end
		end
		for i = 1, math.min(#bad, 20) do print(bad[i]) end
		print(#cases .. " cases")
	`, map[string]any{"vectors": string(vectors)})
	want := fmt.Sprintf("%d cases\n", strings.Count(string(vectors), "\n{\""))
	if r.Stdout != want {
		t.Fatalf("want every case to match (%q), got:\n%s", want, r.Stdout)
	}
}
