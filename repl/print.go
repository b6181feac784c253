package repl

// Value printing: how the REPL shows the results of an entry.
//
//	numbers   as a person writes them: 2, 0.1, 1764115200.123456, 1e+300
//	strings   quoted, with Lua escapes: "welcome ", "a\nb", "\0\255"
//	tables    nested, keys sorted (numbers, then strings, then the rest),
//	          cycles marked <cycle>, long ones cut "... (+120 more)",
//	          depth bounded {...}; one line when it fits, else one entry a line
//	userdata  through __tostring: <tcp 127.0.0.1:5000 -> 127.0.0.1:61234>
//	functions <function stdin:3>, <function builtin>
//
// Several results are separated by ", ".

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"

	"netplay/runtime/lualib"
)

// Limits of what one printed value shows.
const (
	printWidth     = 72   // a table that fits in this many columns prints on one line
	printDepth     = 5    // tables nested deeper print as {...}
	printItems     = 50   // entries shown per table; the rest are counted
	printStringMax = 1000 // bytes of a string shown; the rest are counted
	indentUnit     = "  "
)

// resultSeparator separates the values of an entry that returns several.
const resultSeparator = ", "

// printer renders Lua values for a person.
type printer struct {
	// metaString returns what a value's __tostring metamethod makes of it,
	// and false when the value has none. Nil: metamethods are not called.
	metaString func(v lua.LValue) (string, bool)
}

// values renders an entry's results, separated by resultSeparator.
func (p printer) values(vs []lua.LValue) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = p.value(v)
	}
	return strings.Join(parts, resultSeparator)
}

// value renders one value.
func (p printer) value(v lua.LValue) string {
	return p.render(v, 0, map[*lua.LTable]bool{})
}

// render renders v nested depth levels deep; open holds the tables being
// rendered around it (a table among them is a cycle).
func (p printer) render(v lua.LValue, depth int, open map[*lua.LTable]bool) string {
	switch v := v.(type) {
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		return v.String()
	case lua.LNumber:
		return host.FormatNumber(float64(v))
	case lua.LString:
		return quoteString(string(v), printStringMax)
	case *lua.LTable:
		if s, ok := p.meta(v); ok {
			return s
		}
		return p.table(v, depth, open)
	case *lua.LFunction:
		return functionString(v)
	case *lua.LUserData:
		if s, ok := p.meta(v); ok {
			return s
		}
		return userdataString(v)
	case *lua.LState:
		return "<coroutine>"
	case lua.LChannel:
		return "<channel>"
	}
	return "<" + v.Type().String() + ">"
}

// meta is the value's __tostring rendering, if it has one.
func (p printer) meta(v lua.LValue) (string, bool) {
	if p.metaString == nil {
		return "", false
	}
	return p.metaString(v)
}

// table renders a table: on one line when that is short, otherwise one
// entry a line, indented by depth.
func (p printer) table(t *lua.LTable, depth int, open map[*lua.LTable]bool) string {
	if open[t] {
		return "<cycle>"
	}
	entries := tableEntries(t)
	if len(entries) == 0 {
		return "{}"
	}
	if depth >= printDepth {
		return "{...}"
	}
	open[t] = true
	defer delete(open, t)
	var items []string
	for i, e := range entries {
		if i == printItems {
			items = append(items, fmt.Sprintf("... (+%d more)", len(entries)-printItems))
			break
		}
		item := p.render(e.value, depth+1, open)
		if e.key != nil {
			item = keyString(e.key) + " = " + item
		}
		items = append(items, item)
	}
	return layout(items, depth)
}

// layout joins rendered items as a table constructor.
func layout(items []string, depth int) string {
	oneLine := "{" + strings.Join(items, ", ") + "}"
	if len(oneLine)+len(indentUnit)*depth <= printWidth && !strings.Contains(oneLine, "\n") {
		return oneLine
	}
	var b strings.Builder
	inner := strings.Repeat(indentUnit, depth+1)
	b.WriteString("{\n")
	for _, item := range items {
		b.WriteString(inner)
		b.WriteString(item)
		b.WriteString(",\n")
	}
	b.WriteString(strings.Repeat(indentUnit, depth))
	b.WriteString("}")
	return b.String()
}

// field is one field of a table; key is nil for the items of its
// sequence part (1..n), which print without keys.
type field struct {
	key   lua.LValue
	value lua.LValue
}

// tableEntries lists t's fields in print order: the sequence 1..n, then
// the other numeric keys ascending, then string keys sorted, then the rest.
func tableEntries(t *lua.LTable) []field {
	var out []field
	n := 0
	for ; t.RawGetInt(n+1) != lua.LNil; n++ {
		out = append(out, field{value: t.RawGetInt(n + 1)})
	}
	var rest []field
	t.ForEach(func(k, v lua.LValue) {
		if num, ok := k.(lua.LNumber); ok && float64(num) >= 1 && float64(num) <= float64(n) && float64(num) == math.Trunc(float64(num)) {
			return
		}
		rest = append(rest, field{key: k, value: v})
	})
	sort.Slice(rest, func(i, j int) bool { return keyLess(rest[i].key, rest[j].key) })
	return append(out, rest...)
}

// keyLess is the print order of two keys (lualib.KeyLess).
func keyLess(a, b lua.LValue) bool {
	return lualib.KeyLess(a, b, func(v lua.LValue) string { return v.Type().String() + v.String() })
}

// keyString renders a key as it is written in a table constructor:
// name, ["not a name"], [3], [true].
func keyString(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LString:
		if isName(string(k)) {
			return string(k)
		}
		return "[" + quoteString(string(k), printStringMax) + "]"
	case lua.LNumber:
		return "[" + host.FormatNumber(float64(k)) + "]"
	case lua.LBool:
		return "[" + k.String() + "]"
	}
	return "[" + printer{}.value(k) + "]"
}

// luaKeywords are the reserved words of Lua 5.1, which are not names.
var luaKeywords = []string{
	"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
	"in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}

// isName reports whether s can be written as a bare name (t.s, {s = 1}).
func isName(s string) bool {
	if s == "" || isKeyword(s) {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isKeyword(s string) bool {
	for _, k := range luaKeywords {
		if s == k {
			return true
		}
	}
	return false
}

// quoteString writes s as a Lua string literal that reads back as the same
// bytes: printable UTF-8 as is, \n \t and friends, other bytes as \ddd.
// Past max bytes it is cut, with a count of the rest.
func quoteString(s string, max int) string {
	more := ""
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		more = fmt.Sprintf("... (+%d more bytes)", len(s)-cut)
		s = s[:cut]
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		next := i + size
		switch {
		case r == utf8.RuneError && size <= 1:
			writeByteEscape(&b, s[i], s[next:])
		case r < utf8.RuneSelf && escapes[byte(r)] != "":
			b.WriteString(escapes[byte(r)])
		case unicode.IsPrint(r):
			b.WriteString(s[i:next])
		default:
			for j := i; j < next; j++ {
				writeByteEscape(&b, s[j], s[j+1:])
			}
		}
		i = next
	}
	b.WriteByte('"')
	return b.String() + more
}

// escapes are the named escapes of Lua strings.
var escapes = [utf8.RuneSelf]string{
	'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\v': `\v`,
	'\\': `\\`, '"': `\"`,
}

// writeByteEscape writes c as \ddd, padded to three digits only when a
// digit follows (as Lua's %q does), so "\0" stays short and "\0001" exact.
func writeByteEscape(b *strings.Builder, c byte, rest string) {
	if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		fmt.Fprintf(b, `\%03d`, c)
		return
	}
	fmt.Fprintf(b, `\%d`, c)
}

// functionString names a function by where it was defined.
func functionString(fn *lua.LFunction) string {
	if fn.IsG || fn.Proto == nil {
		return "<function builtin>"
	}
	return fmt.Sprintf("<function %s:%d>", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// userdataString renders a userdata that has no __tostring by its type name.
func userdataString(ud *lua.LUserData) string {
	if mt, ok := ud.Metatable.(*lua.LTable); ok {
		if name, ok := mt.RawGetString("__name").(lua.LString); ok {
			return "<" + string(name) + ">"
		}
	}
	return "<userdata>"
}
