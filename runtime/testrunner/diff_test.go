package testrunner

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// stringDiff: the offset of the first differing byte, both sides around
// it escaped (or in hex when either is binary), "..." where cut, and the
// caret under the difference.
func TestStringDiff(t *testing.T) {
	long := strings.Repeat("abcdefghij", 10)
	cases := []struct {
		name, got, want string
		lines           []string
	}{
		{"text", "ping\n", "pong\n", []string{
			"strings differ at offset 1 (got 5 bytes, want 5)",
			`    got:  "ping\n"`,
			`    want: "pong\n"`,
			`            ^`,
		}},
		{"shorter", "welcome", "welcome!", []string{
			"strings differ at offset 7 (got 7 bytes, want 8)",
			`    got:  "welcome"`,
			`    want: "welcome!"`,
			`                  ^`,
		}},
		{"escapes before the difference", "a\tb\"c", "a\tb\"d", []string{
			"strings differ at offset 4 (got 5 bytes, want 5)",
			`    got:  "a\tb\"c"`,
			`    want: "a\tb\"d"`,
			`                 ^`,
		}},
		{"utf-8 shares a first byte", "café", "cafè", []string{
			"strings differ at offset 4 (got 5 bytes, want 5)",
			`    got:  "café"`,
			`    want: "cafè"`,
			`              ^`,
		}},
		{"cut both sides", long + "X" + long, long + "Y" + long, []string{
			"strings differ at offset 100 (got 201 bytes, want 201)",
			`    got:  ..."abcdefghijabcdefghijabcdefghijXabcdefghijabcdefghijabcdefghi"...`,
			`    want: ..."abcdefghijabcdefghijabcdefghijYabcdefghijabcdefghijabcdefghi"...`,
			strings.Repeat(" ", 44) + "^",
		}},
		{"binary", "\x00\x00\x00\x05hello", "\x00\x00\x00\x06hello", []string{
			"strings differ at offset 3 (got 9 bytes, want 9)",
			"    got:  00 00 00 05 68 65 6c 6c 6f",
			"    want: 00 00 00 06 68 65 6c 6c 6f",
			"                   ^^",
		}},
		{"binary cut", strings.Repeat("\x01", 20) + "\x02" + strings.Repeat("\x01", 20), strings.Repeat("\x01", 20) + "\x03", []string{
			"strings differ at offset 20 (got 41 bytes, want 21)",
			"    got:  ... 01 01 01 01 01 01 01 01 02 01 01 01 01 01 01 01 ...",
			"    want: ... 01 01 01 01 01 01 01 01 03",
			"                                      ^^",
		}},
		{"empty", "", "\x00", []string{
			"strings differ at offset 0 (got 0 bytes, want 1)",
			"    got:  (end)",
			"    want: 00",
			"          ^^",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			summary, lines := stringDiff(c.got, c.want)
			got := append([]string{summary}, lines...)
			if strings.Join(got, "\n") != strings.Join(c.lines, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.lines, "\n"))
			}
		})
	}
}

// render: deterministic, short, reading as Lua.
func TestRender(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`
		cyc = {1}; cyc.self = cyc
		big = {}; for i = 1, 12 do big[i] = i end
		values = {
			{1, 2, x = "y", [10] = true, ["a b"] = 0},
			cyc, big, {{{{1}}}}, string.rep("z", 70), 0.5, 1764115200.123456,
		}`); err != nil {
		t.Fatal(err)
	}
	values := L.GetGlobal("values").(*lua.LTable)
	want := []string{
		`{1, 2, [10] = true, ["a b"] = 0, x = "y"}`,
		`{1, self = <cycle>}`,
		`{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (+2 more)}`,
		`{{{{...}}}}`,
		`"` + strings.Repeat("z", 60) + `"... (70 bytes)`,
		`0.5`,
		`1764115200.123456`,
	}
	for i, w := range want {
		if got := render(values.RawGetInt(i + 1)); got != w {
			t.Errorf("value %d: %s, want %s", i+1, got, w)
		}
	}
}
