package binpack

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Hex returns the lowercase hexadecimal encoding of b, two digits per byte
// and no separators: Hex([]byte("Hello")) == "48656c6c6f".
func Hex(b []byte) string {
	return hex.EncodeToString(b)
}

// Unhex decodes hexadecimal text. Digits may be upper or lower case; ASCII
// whitespace (space, \t, \n, \v, \f, \r) and ':' separators are skipped
// anywhere, so "de:ad be ef" and "DEADBEEF" both decode. A character that is
// neither a hex digit nor a separator fails with
// "invalid hex digit 'g' at offset N" (or "invalid hex digit 0xNN at offset
// N" when it is not printable ASCII), and an odd number of digits fails with
// "odd number of hex digits (unpaired digit at offset N)"; offsets are
// 0-based byte offsets into s. Errors are *Error with Arg 1.
func Unhex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	var hi byte
	pending := -1 // offset of an unpaired high digit, or -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' || isLuaSpace(c) {
			continue
		}
		v, ok := hexValue(c)
		if !ok {
			return nil, &Error{Arg: 1, Msg: fmt.Sprintf("invalid hex digit %s at offset %d", quoteByte(c), i)}
		}
		if pending < 0 {
			hi = byte(v)
			pending = i
		} else {
			out = append(out, hi<<4|byte(v))
			pending = -1
		}
	}
	if pending >= 0 {
		return nil, &Error{Arg: 1, Msg: fmt.Sprintf("odd number of hex digits (unpaired digit at offset %d)", pending)}
	}
	return out, nil
}

func quoteByte(c byte) string {
	if c > 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return fmt.Sprintf("0x%02x", c)
}

// Hexdump formats b like the default output of the xxd tool: 16 bytes per
// line, each line starting with the offset as (at least) 8 lowercase hex
// digits and ": ", then the bytes in lowercase hex grouped in pairs
// separated by spaces, then two spaces and the bytes as ASCII with '.' for
// anything outside 0x20..0x7e. The last line is padded so that its ASCII
// column lines up. Every line ends in "\n"; an empty input gives "".
//
//	00000000: 4865 6c6c 6f0a                           Hello.
func Hexdump(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	lines := (len(b) + 15) / 16
	sb.Grow(lines * 68)
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&sb, "%08x: ", off)
		for i := 0; i < 16; i++ {
			if i < len(line) {
				sb.WriteByte(digits[line[i]>>4])
				sb.WriteByte(digits[line[i]&0x0f])
			} else {
				sb.WriteString("  ")
			}
			if i%2 == 1 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteByte(' ')
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			sb.WriteByte(c)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
