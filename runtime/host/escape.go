package host

// Text for the terminal: what a script or a peer put in an error message
// must not drive the terminal (error("\27[31mred") would turn it red).

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EscapeText returns s with what a terminal would act on written as Lua
// escapes, as the REPL writes strings: control characters other than
// newline and tab (`\27`, `\r`, `\0`), bytes that are not UTF-8 (`\255`)
// and unprintable runes byte by byte. Printable text, newlines and tabs
// stay as they are, so a message and its traceback read as before.
func EscapeText(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == utf8.RuneError && size <= 1:
			writeEscape(&b, s[i], s[i+1:])
		case r < utf8.RuneSelf && textEscapes[r] != "":
			b.WriteString(textEscapes[r])
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			for j := i; j < i+size; j++ {
				writeEscape(&b, s[j], s[j+1:])
			}
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no escape: printable ASCII, newlines and
// tabs (the common case, checked without allocating).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < ' ' && c != '\n' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// textEscapes are the named Lua escapes of the control characters.
var textEscapes = map[rune]string{'\a': `\a`, '\b': `\b`, '\f': `\f`, '\r': `\r`, '\v': `\v`}

// writeEscape writes c as \ddd, three digits only when a digit follows
// (as Lua's %q does).
func writeEscape(b *strings.Builder, c byte, rest string) {
	if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		fmt.Fprintf(b, `\%03d`, c)
		return
	}
	fmt.Fprintf(b, `\%d`, c)
}
