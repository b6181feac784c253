package testrunner

// Values as messages show them: deterministic (no addresses), short, and
// reading as Lua.

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"

	"netplay/runtime/lualib"
)

// Limits of render: nesting, entries per table, bytes per string.
const (
	renderDepth   = 3
	renderEntries = 10
	renderBytes   = 60
)

// render writes v for a message: strings quoted with Lua escapes (cut
// past 60 bytes), numbers as print writes them, tables as constructors
// with their keys sorted, functions by where they are defined.
func render(v lua.LValue) string {
	var b strings.Builder
	renderTo(&b, v, renderDepth, map[*lua.LTable]bool{})
	return b.String()
}

func renderTo(b *strings.Builder, v lua.LValue, depth int, open map[*lua.LTable]bool) {
	switch v := v.(type) {
	case lua.LString:
		s, more := string(v), ""
		if len(s) > renderBytes {
			cut := runeStart(s, renderBytes)
			s, more = s[:cut], fmt.Sprintf("... (%d bytes)", len(v))
		}
		b.WriteString(quote(s) + more)
	case lua.LNumber:
		b.WriteString(host.FormatNumber(float64(v)))
	case *lua.LTable:
		renderTable(b, v, depth, open)
	case *lua.LFunction:
		if v.Proto != nil {
			fmt.Fprintf(b, "<function %s:%d>", v.Proto.SourceName, v.Proto.LineDefined)
		} else {
			b.WriteString("<function builtin>")
		}
	case *lua.LUserData:
		b.WriteString("<userdata>")
	default:
		b.WriteString(v.String())
	}
}

func renderTable(b *strings.Builder, t *lua.LTable, depth int, open map[*lua.LTable]bool) {
	switch {
	case open[t]:
		b.WriteString("<cycle>")
		return
	case depth == 0:
		b.WriteString("{...}")
		return
	}
	open[t] = true
	defer delete(open, t)
	keys := sortedKeys(t, nil)
	b.WriteByte('{')
	n := 0
	for i, k := range keys {
		if i == renderEntries {
			fmt.Fprintf(b, ", ... (+%d more)", len(keys)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if num, ok := k.(lua.LNumber); ok && float64(num) == float64(n+1) {
			n++
		} else {
			b.WriteString(keyLiteral(k))
			b.WriteString(" = ")
		}
		renderTo(b, t.RawGet(k), depth-1, open)
	}
	b.WriteByte('}')
}

// keyLiteral is a key as a table constructor writes it: name, ["a b"], [3].
func keyLiteral(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok && isName(string(s)) {
		return string(s)
	}
	return "[" + render(k) + "]"
}

// keyPath is a key as an index path writes it: .name, ["a b"], [3].
func keyPath(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok && isName(string(s)) {
		return "." + string(s)
	}
	return "[" + render(k) + "]"
}

// isName reports whether s can be written as a Lua name.
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

var keywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "if": true, "in": true, "local": true,
	"nil": true, "not": true, "or": true, "repeat": true, "return": true, "then": true,
	"true": true, "until": true, "while": true,
}

func isKeyword(s string) bool { return keywords[s] }

// sortedKeys lists the keys of t, and those of also that t lacks, in an
// order that does not depend on the hash: numbers, strings, booleans,
// then the rest by how they render.
func sortedKeys(t, also *lua.LTable) []lua.LValue {
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	if also != nil {
		also.ForEach(func(k, _ lua.LValue) {
			if t.RawGet(k) == lua.LNil {
				keys = append(keys, k)
			}
		})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	return keys
}

// keyLess is the diff's order of two keys (lualib.KeyLess).
func keyLess(a, b lua.LValue) bool { return lualib.KeyLess(a, b, render) }

// quote writes s as a Lua string literal.
func quote(s string) string { return `"` + escape(s) + `"` }

// escape writes s as the inside of a Lua string literal: printable UTF-8
// as it is, \n \r \t \\ \" named, every other byte as \ddd.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r):
			for j := i; j < i+size; j++ {
				fmt.Fprintf(&b, `\%03d`, s[j])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// runeStart moves i back to the start of the UTF-8 sequence it is in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
