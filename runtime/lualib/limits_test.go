package lualib_test

import (
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
)

// The bound on one allocation, specified in Lua on hosts that allow 1 MiB
// (third_party/gopher-lua/PATCHES.md: allocation bound).
func TestAllocationBound(t *testing.T) {
	luatest.RunFileWith(t, "testdata/limits_test.lua", nil, host.Options{MaxAlloc: 1 << 20})
}

// By default one allocation may take 1 GiB: string.rep("x", 2^40), which
// asked Go for a terabyte and killed the process, raises instead.
func TestDefaultAllocationBoundIsOneGiB(t *testing.T) {
	r := luatest.MustRun(t, `
		local ok1, err1 = pcall(string.rep, "x", 2^40)
		local ok2, err2 = pcall(string.rep, "x", 2^30 + 1)
		huge = tostring(ok1) .. " " .. err1:gsub("^[^:]*:%d+: ", "")
		over = tostring(ok2) .. " " .. err2:gsub("^[^:]*:%d+: ", "")
		small = #string.rep("x", 2^20)
	`, nil)
	want := map[string]string{
		"huge": "false string.rep: result too large",
		"over": "false string.rep: result too large",
	}
	for k, v := range want {
		if r.Globals[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Globals[k], v)
		}
	}
}

// json.encode's bound is exact: a text of n bytes encodes under a bound of
// n and fails under n-1, compact or indented (the indented length is
// computed before json.Indent makes the text).
func TestJSONEncodeBoundIsExact(t *testing.T) {
	values := []string{
		`{1, "two", {3, {}}, json.array({})}`,
		`{a = {b = {c = "x,y:z[]{}"}}, list = {1, 2, {k = "\"q\\\\"}}}`,
		`{"\1\2\n", {x = json.null}, true, false, 1.5}`,
		`"plain"`,
		`{[1] = {}, [2] = {{}, {{}}}}`,
	}
	for _, v := range values {
		for _, indent := range []string{"", "  ", "\t", "16"} {
			opts := ""
			switch indent {
			case "":
			case "16":
				opts = ", {indent = 16}"
			default:
				opts = fmt.Sprintf(", {indent = %q}", indent)
			}
			code := "return json.encode(" + v + opts + ")"
			text := encodeUnder(t, 1<<20, code)
			if got := encodeUnder(t, len(text), code); got != text {
				t.Errorf("%s under a bound of its length %d: %q, want %q", code, len(text), got, text)
			}
			if got := encodeUnder(t, len(text)-1, code); got != "error: json: result too large" {
				t.Errorf("%s under a bound of %d: %q, want the error", code, len(text)-1, got)
			}
		}
	}
}

// encodeUnder runs code on a plain state with the json module and the
// given bound, and returns its result or "error: " and the message.
func encodeUnder(t *testing.T, bound int, code string) string {
	t.Helper()
	L := lua.NewState(lua.Options{MaxAlloc: bound})
	defer L.Close()
	L.PreloadModule("json", lualib.OpenJSON)
	doString(t, L, `json = require "json"`)
	if err := L.DoString(code); err != nil {
		msg := err.(*lua.ApiError).Object.String()
		return "error: " + msg[strings.Index(msg, ": ")+2:]
	}
	return L.Get(-1).String()
}
