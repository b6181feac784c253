package lualib_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
)

func TestJSONLua(t *testing.T) { luatest.RunFile(t, "testdata/json_test.lua", nil) }

// jsonState is a bare Lua state with the json module as a global: the
// module needs no host.
func jsonState(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	L.PreloadModule("json", lualib.OpenJSON)
	if err := L.DoString(`json = require "json"`); err != nil {
		t.Fatal(err)
	}
	return L
}

// jsonEval evaluates a Lua expression: its first value as a string (nil
// as "nil"), or the message it raised without the "file:line: ".
func jsonEval(t testing.TB, L *lua.LState, expr string) (string, string) {
	t.Helper()
	code := `local ok, v, err = pcall(function() return ` + expr + ` end)
		if not ok then return nil, (tostring(v):gsub("^[^:]*:%d+: ", "")) end
		if v == nil and err then return nil, "returned nil, " .. err end
		return tostring(v), nil`
	if err := L.DoString(code); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	defer L.Pop(2)
	v, e := L.Get(-2), L.Get(-1)
	if e != lua.LNil {
		return "", e.String()
	}
	return v.String(), ""
}

func TestJSONEncode(t *testing.T) {
	L := jsonState(t)
	for _, c := range []struct{ lua, want string }{
		{`nil`, `null`},
		{`json.null`, `null`},
		{`{1, "two", {3}, {}}`, `[1,"two",[3],{}]`},
		{`{a = {b = {c = {}}}}`, `{"a":{"b":{"c":{}}}}`},
		{`{z = 1, a = 2, m = 3, A = 4, ["_"] = 5, [""] = 6}`, `{"":6,"A":4,"_":5,"a":2,"m":3,"z":1}`},
		{`{[2] = "b", [1] = "a"}`, `["a","b"]`},
		{`{[1] = "a", [2] = "b", [4] = "d"}`, `{"1":"a","2":"b","4":"d"}`},
		{`{[0.5] = 1, [1e21] = 2, [-3] = 3}`, `{"-3":3,"0.5":1,"1e+21":2}`},
		{`json.array({})`, `[]`},
		{`json.object({"x"})`, `{"1":"x"}`},
		{`json.array({[2] = "b"})`, `[null,"b"]`},
		{`1764115200`, `1764115200`},
		{`1764115200.123456`, `1764115200.123456`},
		{`-1e-7`, `-1e-7`},
		{`2^63`, `9223372036854776000`}, // the shortest digits that read back as 2^63
		{`2^70`, `1.1805916207174113e+21`},
		{`"\195\169"`, `"é"`},
		{`"tab\there"`, `"tab\there"`},
		{`"\27[0m"`, `"\u001b[0m"`},
		{`"<&>"`, `"<&>"`}, // no HTML escaping
		{`"\226\128\168"`, "\"\u2028\""},
	} {
		got, err := jsonEval(t, L, "json.encode("+c.lua+")")
		if err != "" || got != c.want {
			t.Errorf("json.encode(%s) = %q, %q; want %q", c.lua, got, err, c.want)
		}
	}
}

func TestJSONEncodeErrors(t *testing.T) {
	L := jsonState(t)
	for _, c := range []struct{ lua, want string }{
		{`(function() local t = {}; t[1] = t; return t end)()`, `json: cycle detected at [1]`},
		{`(function() local t = {a = {}}; t.a.b = {c = t}; return t end)()`, `json: cycle detected at .a.b.c`},
		{`print`, `json: cannot encode function value`},
		{`{x = {y = print}}`, `json: cannot encode function value at .x.y`},
		{`{["not a name"] = print}`, `json: cannot encode function value at ["not a name"]`},
		{`{[1.5] = {print}}`, `json: cannot encode function value at [1.5][1]`},
		{`coroutine.create(print)`, `json: cannot encode thread value`},
		{`0/0`, `json: cannot encode NaN`},
		{`1/0`, `json: cannot encode inf`},
		{`{a = -1/0}`, `json: cannot encode -inf at .a`},
		{`{[1/0] = true}`, `json: object key: cannot encode inf`},
		{`{[false] = 1}`, `json: object key must be a string or a number, got boolean`},
		{`{[print] = 1}`, `json: object key must be a string or a number, got function`},
		{`{[json.null] = 1}`, `json: object key must be a string or a number, got userdata`},
		{`{[2] = 1, ["2"] = 2}`, `json: duplicate key "2" (a string and a number key)`},
		{`"\192\128"`, `json: string is not valid UTF-8`},
		{`{k = "\255"}`, `json: string is not valid UTF-8 at .k`},
		{`{["\255"] = 1}`, `json: object key is not valid UTF-8`},
		{`json.array({1, [0] = 2})`, `json: array key must be a whole number >= 1, got 0`},
		{`json.array({1, [1.5] = 2, b = 3})`, `json: array key must be a whole number >= 1, got "b"`},
		{`json.array({[11] = 1})`, `json: excessively sparse array (1 values, highest index 11)`},
		{`1, 2`, `bad argument #2 to encode (table expected, got number)`},
		{`1, {indent = true}`, `bad argument #2 to encode (indent must be a string or a number, got boolean)`},
		{`1, {indent = 17}`, `bad argument #2 to encode (indent must be a whole number of spaces from 0 to 16)`},
		{`1, {[1] = 2}`, `bad argument #2 to encode (unknown option 1)`},
	} {
		got, err := jsonEval(t, L, "json.encode("+c.lua+")")
		if err != c.want {
			t.Errorf("json.encode(%s) = %q, raised %q; want it to raise %q", c.lua, got, err, c.want)
		}
	}
}

func TestJSONDecodeErrors(t *testing.T) {
	L := jsonState(t)
	for _, c := range []struct{ in, want string }{
		{`[1, x]`, `json: invalid character 'x' looking for beginning of value at line 1, column 5`},
		{``, `json: unexpected end of JSON input at line 1, column 1`},
		{" \n ", `json: unexpected end of JSON input at line 2, column 2`},
		{`{"a":`, `json: unexpected end of JSON input at line 1, column 6`},
		{`"abc`, `json: unexpected end of JSON input at line 1, column 5`},
		{`tru`, `json: unexpected end of JSON input at line 1, column 4`},
		{`-`, `json: unexpected end of JSON input at line 1, column 2`},
		{`1.`, `json: unexpected end of JSON input at line 1, column 3`},
		{`[1 2]`, `json: invalid character '2' after array element at line 1, column 4`},
		{`{1:2}`, `json: invalid character '1' looking for beginning of object key string at line 1, column 2`},
		{`{"a":}`, `json: invalid character '}' looking for beginning of value at line 1, column 6`},
		{`[1,]`, `json: invalid character ']' looking for beginning of value at line 1, column 4`},
		{`]`, `json: invalid character ']' looking for beginning of value at line 1, column 1`},
		{`01`, `json: invalid character '1' after top-level value at line 1, column 2`},
		{`{} {}`, `json: invalid character '{' after top-level value at line 1, column 4`},
		{`"\x"`, `json: invalid character 'x' in string escape code at line 1, column 3`},
		{"\"a\tb\"", `json: invalid character '\t' in string literal at line 1, column 3`},
		{`'a'`, `json: invalid character '\'' looking for beginning of value at line 1, column 1`},
		{`NaN`, `json: invalid character 'N' looking for beginning of value at line 1, column 1`},
		{"[\"日本\",\n \"語\", ?]", `json: invalid character '?' looking for beginning of value at line 2, column 7`},
		{`[1e400]`, `json: number 1e400 is out of range at line 1, column 2`},
		{strings.Repeat("[", 1001) + strings.Repeat("]", 1001), `json: nesting deeper than 1000 levels at line 1, column 1001`},
		{strings.Repeat(`[{"k":`, 600) + "1" + strings.Repeat("}]", 600), `json: nesting deeper than 1000 levels at line 1, column 3001`},
		{strings.Repeat("[", 1001), `json: unexpected end of JSON input at line 1, column 1002`}, // the syntax first
		{strings.Repeat("[", 20000), `json: nesting deeper than 1000 levels at line 1, column 1001`},
	} {
		L.SetGlobal("input", lua.LString(c.in))
		got, err := jsonEval(t, L, "json.decode(input)")
		if err != "returned nil, "+c.want {
			t.Errorf("json.decode(%q) = %q, %q; want nil, %q", c.in, got, err, c.want)
		}
	}
}

// Canonical JSON (sorted keys, no spaces, shortest numbers) decodes and
// encodes back to the same text.
func TestJSONRoundTrip(t *testing.T) {
	L := jsonState(t)
	for _, s := range []string{
		`null`, `true`, `0`, `-1`, `0.5`, `1e+21`, `1e-7`, `123456789.125`, `""`,
		`[]`, `{}`, `[[]]`, `[{}]`, `{"":{}}`, `[null]`, `[1,null]`, `[null,null,null]`,
		`{"a":[1,2.5,"x",null,true,false,{}],"b":{"c":[]}}`,
		`{"1":"a","2":"b"}`, `{"10":1,"9":2}`,
		`"\u0000\u001f\"\\\n\r\t\b\f"`,
		`"é☃😀"`, "\"\x7f\"",
		`[9007199254740992,-9007199254740992,1.7976931348623157e+308,5e-324]`,
	} {
		L.SetGlobal("input", lua.LString(s))
		got, err := jsonEval(t, L, "json.encode(assert(json.decode(input)))")
		if err != "" || got != s {
			t.Errorf("encode(decode(%s)) = %s, %q", s, got, err)
		}
	}
}

// What json.decode then json.encode make of a document means the same to
// encoding/json as the document itself.
func TestJSONAgreesWithEncodingJSON(t *testing.T) {
	L := jsonState(t)
	for _, doc := range []string{
		`{"b": 1, "a": [1, 2, {"c": null}], "d": "x\u00e9\ud83d\ude00"}`,
		` [ 1.0, 2.50, -0, 1E3, 1e-10, 12345678901234567890 ] `,
		`{"dup": 1, "dup": 2}`,
		`"lone \udc00 surrogate"`,
		"\"bad \xff byte\"",
		`{"nested": {"deeper": {"deepest": [[[["x"]]]]}}}`,
	} {
		compareWithEncodingJSON(t, L, doc)
	}
}

func compareWithEncodingJSON(t *testing.T, L *lua.LState, doc string) {
	t.Helper()
	L.SetGlobal("input", lua.LString(doc))
	got, err := jsonEval(t, L, "json.encode(assert(json.decode(input)))")
	if err != "" {
		t.Errorf("%q: %s", doc, err)
		return
	}
	var want, have any
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	if err := json.Unmarshal([]byte(got), &have); err != nil {
		t.Errorf("%q: output %q is not JSON: %v", doc, got, err)
		return
	}
	if !reflect.DeepEqual(want, have) {
		t.Errorf("%q: encode(decode(doc)) = %s, which means %v, not %v", doc, got, have, want)
	}
}

// Pretty output of a sample document, against testdata/json/sample.pretty.json.
func TestJSONPrettyGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/json/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/json/sample.pretty.json")
	if err != nil {
		t.Fatal(err)
	}
	L := jsonState(t)
	L.SetGlobal("input", lua.LString(in))
	got, msg := jsonEval(t, L, `json.encode(assert(json.decode(input)), {indent = "  "}) .. "\n"`)
	if msg != "" || got != string(want) {
		t.Errorf("pretty output %q:\n%s\nwant:\n%s", msg, got, want)
	}
}

// Decoding never panics; what decodes re-encodes to a document that means
// the same to encoding/json, and what does not decode is an error string.
func FuzzJSONDecode(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2,{"b":null}],"c":"d"}`, `[]`, `{}`, `"\ud83d\ude00"`, `1e400`, `[1,`,
		`{"1":1,"2":2}`, "\"\xff\"", strings.Repeat("[", 1001), `-0.0e-0`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		L := jsonState(t)
		L.SetGlobal("input", lua.LString(doc))
		_, derr := jsonEval(t, L, "json.decode(input)")
		if !json.Valid([]byte(doc)) {
			if !strings.HasPrefix(derr, "returned nil, json: ") {
				t.Fatalf("decode(%q) of invalid JSON: %q", doc, derr)
			}
			return
		}
		if derr != "" {
			var v any
			if json.Unmarshal([]byte(doc), &v) != nil || strings.Contains(derr, "nesting deeper") {
				return // out of range numbers, too deep
			}
			t.Fatalf("decode(%q) of valid JSON: %s", doc, derr)
		}
		compareWithEncodingJSON(t, L, doc)
	})
}

func ExampleOpenJSON() {
	L := lua.NewState()
	defer L.Close()
	L.PreloadModule("json", lualib.OpenJSON)
	err := L.DoString(`
		local json = require "json"
		local msg = json.decode('{"type": "chat", "to": [], "text": "hi", "re": null}')
		print(msg.type, #msg.to, msg.re == json.null)
		msg.sent = 1764115200.123456
		print(json.encode(msg))
		print(json.encode({}), json.encode(json.array()), json.encode({1, 2, 3}))
		print(json.decode("[1, x]"))
	`)
	fmt.Println(err)
	// Output:
	// chat	0	true
	// {"re":null,"sent":1764115200.123456,"text":"hi","to":[],"type":"chat"}
	// {}	[]	[1,2,3]
	// nil	json: invalid character 'x' looking for beginning of value at line 1, column 5
	// <nil>
}
