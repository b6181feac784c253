package testrunner

// Deep comparison and the diffs expect.eq shows.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// difference is where two values first differ: the index path from the
// top ("" at the top, else like .players[2].name) and the values there.
type difference struct {
	path      string
	got, want lua.LValue
}

// comparer compares values deeply. Tables are equal when they have the
// same keys with equal values (metatables aside), or when both have the
// same __eq and it says so; other values are equal as == says, except
// that NaN equals NaN. Keys are visited in a fixed order, so the first
// difference is the same on every run; a pair of tables met again while
// being compared counts as equal (cycles end).
type comparer struct {
	L    *lua.LState
	open map[[2]*lua.LTable]bool
}

// firstDifference returns the first difference between got and want, or
// nil when they are deeply equal.
func firstDifference(L *lua.LState, got, want lua.LValue) *difference {
	c := &comparer{L: L, open: map[[2]*lua.LTable]bool{}}
	return c.compare(got, want, "")
}

func (c *comparer) compare(got, want lua.LValue, path string) *difference {
	if got.Type() != want.Type() {
		return &difference{path, got, want}
	}
	switch g := got.(type) {
	case lua.LNumber:
		w := want.(lua.LNumber)
		if g == w || g != g && w != w {
			return nil
		}
	case lua.LString:
		if g == want.(lua.LString) {
			return nil
		}
	case *lua.LTable:
		return c.compareTables(g, want.(*lua.LTable), path)
	default:
		if c.L.Equal(got, want) {
			return nil
		}
	}
	return &difference{path, got, want}
}

func (c *comparer) compareTables(g, w *lua.LTable, path string) *difference {
	if g == w {
		return nil
	}
	if eq := c.L.GetMetaField(g, "__eq"); eq != lua.LNil && eq == c.L.GetMetaField(w, "__eq") {
		if c.L.Equal(g, w) {
			return nil
		}
		return &difference{path, g, w}
	}
	pair := [2]*lua.LTable{g, w}
	if c.open[pair] {
		return nil
	}
	c.open[pair] = true
	defer delete(c.open, pair)
	for _, k := range sortedKeys(g, w) {
		if d := c.compare(g.RawGet(k), w.RawGet(k), path+keyPath(k)); d != nil {
			return d
		}
	}
	return nil
}

// eqMessage explains a difference: the first line says what differs
// (and where, inside tables), the lines after show both sides.
func eqMessage(d *difference) string {
	gs, gok := d.got.(lua.LString)
	ws, wok := d.want.(lua.LString)
	head := ""
	if d.path != "" {
		head = "tables differ at " + d.path + ": "
	}
	if gok && wok {
		summary, lines := stringDiff(string(gs), string(ws))
		return head + summary + "\n" + strings.Join(lines, "\n")
	}
	got, want := render(d.got), render(d.want)
	if d.got.Type() != d.want.Type() && d.got != lua.LNil && d.want != lua.LNil {
		got, want = d.got.Type().String()+" "+got, d.want.Type().String()+" "+want
	}
	if d.path == "" {
		return fmt.Sprintf("got %s, want %s", got, want)
	}
	return fmt.Sprintf("tables differ at %s\n    got:  %s\n    want: %s", d.path, got, want)
}

// Windows around the first difference.
const (
	textContext = 30 // bytes shown before and after it, as text
	hexContext  = 8  // bytes shown before and after it, in hex
)

// stringDiff describes two different strings: the offset (0-based) of
// the first byte that differs, then both strings around it, escaped, or
// in hex when either is binary, and a caret under the difference.
func stringDiff(got, want string) (summary string, lines []string) {
	off := 0
	for off < len(got) && off < len(want) && got[off] == want[off] {
		off++
	}
	summary = fmt.Sprintf("strings differ at offset %d (got %d bytes, want %d)", off, len(got), len(want))
	if isText(got) && isText(want) {
		return summary, textWindow(got, want, off)
	}
	return summary, hexWindow(got, want, off)
}

// isText reports whether s reads as text: valid UTF-8, printable, with
// newlines, tabs and carriage returns allowed.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

const (
	gotLabel  = "    got:  "
	wantLabel = "    want: "
)

// textWindow shows both strings escaped from up to textContext bytes
// before off to as many after, "..." where they are cut, and the caret.
func textWindow(got, want string, off int) []string {
	at := runeStart(got, off)
	start := runeStart(got, max(0, at-textContext))
	lead := ""
	if start > 0 {
		lead = "..."
	}
	line := func(s string) string {
		end := min(len(s), runeStart(s, at+textContext))
		tail := ""
		if end < len(s) {
			tail = "..."
		}
		return lead + quote(s[start:end]) + tail
	}
	col := len(gotLabel) + len(lead) + 1 + utf8.RuneCountInString(escape(got[start:at]))
	return []string{gotLabel + line(got), wantLabel + line(want), strings.Repeat(" ", col) + "^"}
}

// hexWindow shows both strings as hex bytes from up to hexContext bytes
// before off to as many after, and the caret.
func hexWindow(got, want string, off int) []string {
	start := max(0, off-hexContext)
	lead := ""
	if start > 0 {
		lead = "... "
	}
	line := func(s string) string {
		end := min(len(s), off+hexContext)
		if start >= end {
			return lead + "(end)"
		}
		parts := make([]string, 0, end-start)
		for _, c := range []byte(s[start:end]) {
			parts = append(parts, fmt.Sprintf("%02x", c))
		}
		tail := ""
		if end < len(s) {
			tail = " ..."
		}
		return lead + strings.Join(parts, " ") + tail
	}
	col := len(gotLabel) + len(lead) + 3*(off-start)
	return []string{gotLabel + line(got), wantLabel + line(want), strings.Repeat(" ", col) + "^^"}
}
