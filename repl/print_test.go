package repl

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestQuoteString(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"welcome ", 100, `"welcome "`},
		{"", 100, `""`},
		{"a\nb\tc\r", 100, `"a\nb\tc\r"`},
		{`say "hi" \o/`, 100, `"say \"hi\" \\o/"`},
		{"\x00\x1b[K", 100, `"\0\27[K"`},
		{"\x001", 100, `"\0001"`},
		{"\xff\xfe", 100, `"\255\254"`},
		{"héllo wörld ✓", 100, `"héllo wörld ✓"`},
		{"\u200b", 100, `"\226\128\139"`},
		{"abcdefghij", 4, `"abcd"... (+6 more bytes)`},
		{"ééé", 3, `"é"... (+4 more bytes)`},
	}
	for _, c := range cases {
		if got := quoteString(c.in, c.max); got != c.want {
			t.Errorf("quoteString(%q, %d) = %s, want %s", c.in, c.max, got, c.want)
		}
	}
}

// What quoteString writes reads back, in Lua, as the same bytes.
func TestQuoteStringRoundTrips(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	var all strings.Builder
	for c := 0; c < 256; c++ {
		all.WriteByte(byte(c))
		all.WriteString("7")
	}
	for _, s := range []string{all.String(), "naïve ☃ \x80 mixed", "\\\"'\n"} {
		if err := L.DoString("return " + quoteString(s, len(s))); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := L.Get(-1).String(); got != s {
			t.Errorf("read back %q, want %q", got, s)
		}
		L.Pop(1)
	}
}

func TestPrintValues(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	cases := []struct {
		name, expr, want string
	}{
		{"nil and booleans", "nil, true, false", "nil, true, false"},
		{"sequence", "{1, 2, 3}", "{1, 2, 3}"},
		{"keys sorted: numbers, strings, the rest", `{b = 1, a = 2, [5] = 3, [-1] = 4, [false] = 5, [true] = 6}`,
			`{[-1] = 4, [5] = 3, a = 2, b = 1, [false] = 5, [true] = 6}`},
		{"keys that are not names", `{["a b"] = 1, ["for"] = 2, _ok = 3}`, `{_ok = 3, ["a b"] = 1, ["for"] = 2}`},
		{"sequence then the rest", `{"x", "y", n = 2}`, `{"x", "y", n = 2}`},
		{"cycle", "(function() local t = {} t.t = t return t end)()", "{t = <cycle>}"},
		{"shared is not a cycle", "(function() local s = {} return {s, s} end)()", "{{}, {}}"},
		{"depth bound", "{{{{{{{1}}}}}}}", "{{{{{{...}}}}}}"},
		{"function", "print", "<function builtin>"},
		{"coroutine", "coroutine.create(print)", "<coroutine>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := L.DoString("return " + c.expr); err != nil {
				t.Fatal(err)
			}
			var vs []lua.LValue
			for i := 1; i <= L.GetTop(); i++ {
				vs = append(vs, L.Get(i))
			}
			L.SetTop(0)
			if got := (printer{}).values(vs); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestPrintLongTable(t *testing.T) {
	tbl := &lua.LTable{}
	for i := 1; i <= 170; i++ {
		tbl.Append(lua.LNumber(i))
	}
	got := printer{}.value(tbl)
	lines := strings.Split(got, "\n")
	if len(lines) != printItems+3 || lines[printItems+1] != "  ... (+120 more)," || lines[len(lines)-1] != "}" {
		t.Fatalf("a table of 170 prints %d lines, ending:\n%s", len(lines), strings.Join(lines[len(lines)-3:], "\n"))
	}
}

func TestPrintNestedLayout(t *testing.T) {
	inner := &lua.LTable{}
	inner.RawSetString("text", lua.LString(strings.Repeat("x", 70)))
	outer := &lua.LTable{}
	outer.RawSetString("inner", inner)
	outer.RawSetString("n", lua.LNumber(1))
	want := "{\n  inner = {\n    text = \"" + strings.Repeat("x", 70) + "\",\n  },\n  n = 1,\n}"
	if got := (printer{}).value(outer); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
