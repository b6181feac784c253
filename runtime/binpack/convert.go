package binpack

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// argValue returns the Lua argument number arg (2 = args[0]). A missing
// argument is nil: Lua 5.3's str_pack pushes a nil right after its
// arguments, so the first missing one always reads as nil.
func argValue(args []Value, arg int) Value {
	if i := arg - 2; i >= 0 && i < len(args) {
		return args[i]
	}
	return nil
}

// typeName is the name of v's type as Lua's error messages show it.
func typeName(v Value) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case string, []byte:
		return "string"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr, float32, float64:
		return "number"
	case Other:
		return x.Type
	case *Other:
		if x != nil {
			return x.Type
		}
		return "nil"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// intOf reports whether v is a Go integer and returns it as a Lua integer
// (unsigned values are reinterpreted bit for bit).
func intOf(v Value) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint64:
		return int64(x), true
	case uint:
		return int64(x), true
	case uintptr:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}

// floatOf reports whether v is a Go float.
func floatOf(v Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// stringOf reports whether v is a Go string or []byte.
func stringOf(v Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// floatToInteger converts f to an integer when it has an exact integer
// value in range (Lua's luaV_tointeger in exact mode).
func floatToInteger(f float64) (int64, bool) {
	if f >= -0x1p63 && f < 0x1p63 && f == math.Floor(f) {
		return int64(f), true
	}
	return 0, false
}

// checkInteger is luaL_checkinteger.
func checkInteger(args []Value, arg int) (int64, error) {
	v := argValue(args, arg)
	if n, ok := intOf(v); ok {
		return n, nil
	}
	f, isFloat := floatOf(v)
	if !isFloat {
		s, ok := stringOf(v)
		if !ok {
			return 0, &Error{Arg: arg, Msg: "number expected, got " + typeName(v)}
		}
		i, fl, isInt, ok := strToNumber(s)
		if !ok {
			return 0, &Error{Arg: arg, Msg: "number expected, got string"}
		}
		if isInt {
			return i, nil
		}
		f = fl
	}
	if n, ok := floatToInteger(f); ok {
		return n, nil
	}
	return 0, &Error{Arg: arg, Msg: "number has no integer representation"}
}

// checkNumber is luaL_checknumber.
func checkNumber(args []Value, arg int) (float64, error) {
	v := argValue(args, arg)
	if f, ok := floatOf(v); ok {
		return f, nil
	}
	if n, ok := intOf(v); ok {
		return float64(n), nil
	}
	if s, ok := stringOf(v); ok {
		if i, f, isInt, ok := strToNumber(s); ok {
			if isInt {
				return float64(i), nil
			}
			return f, nil
		}
		return 0, &Error{Arg: arg, Msg: "number expected, got string"}
	}
	return 0, &Error{Arg: arg, Msg: "number expected, got " + typeName(v)}
}

// checkString is luaL_checklstring: strings as they are, numbers converted
// the way Lua 5.3 converts them.
func checkString(args []Value, arg int) (string, error) {
	v := argValue(args, arg)
	if s, ok := stringOf(v); ok {
		return s, nil
	}
	if n, ok := intOf(v); ok {
		return strconv.FormatInt(n, 10), nil
	}
	if f, ok := floatOf(v); ok {
		return FormatFloat(f), nil
	}
	return "", &Error{Arg: arg, Msg: "string expected, got " + typeName(v)}
}

// FormatFloat formats f as Lua 5.3's tostring does for a float: "%.14g",
// with ".0" appended when the result looks like an integer; infinities and
// NaNs print as inf, -inf, nan and -nan (as glibc does).
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	if strings.Trim(s, "-0123456789") == "" {
		s += ".0"
	}
	return s
}

// isLuaSpace is C's isspace in the "C" locale.
func isLuaSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func hexValue(c byte) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// strToNumber converts a string to a number as Lua 5.3's luaO_str2num does:
// first as an integer (decimal, or hexadecimal with wrap-around), then as a
// float (decimal or hexadecimal, as strtod reads them, but never inf or
// nan). Leading and trailing whitespace is allowed.
func strToNumber(s string) (i int64, f float64, isInt bool, ok bool) {
	if i, ok := strToInt(s); ok {
		return i, 0, true, true
	}
	if f, ok := strToFloat(s); ok {
		return 0, f, false, true
	}
	return 0, 0, false, false
}

// strToInt is lobject.c's l_str2int.
func strToInt(s string) (int64, bool) {
	i := 0
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var a uint64
	empty := true
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		i += 2
		for ; i < len(s); i++ {
			d, ok := hexValue(s[i])
			if !ok {
				break
			}
			a = a*16 + uint64(d)
			empty = false
		}
	} else {
		const maxBy10 = uint64(math.MaxInt64 / 10)
		const maxLastD = math.MaxInt64 % 10
		for ; i < len(s) && isDigit(s[i]); i++ {
			d := uint64(s[i] - '0')
			lim := uint64(maxLastD)
			if neg {
				lim++
			}
			if a >= maxBy10 && (a > maxBy10 || d > lim) {
				return 0, false // overflow: not accepted as an integer
			}
			a = a*10 + d
			empty = false
		}
	}
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	if empty || i != len(s) {
		return 0, false
	}
	if neg {
		a = -a
	}
	return int64(a), true
}

// strToFloat is lobject.c's l_str2d with strtod's grammar for finite
// numbers: optional sign, then either a decimal mantissa with an optional
// e exponent or "0x" and a hexadecimal mantissa with an optional p
// exponent; at least one mantissa digit.
func strToFloat(s string) (float64, bool) {
	i := 0
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	hex := i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X')
	if hex {
		i += 2
	}
	digit := func(c byte) bool {
		if hex {
			_, ok := hexValue(c)
			return ok
		}
		return isDigit(c)
	}
	digits := 0
	for i < len(s) && digit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	hasExp := false
	if i < len(s) && ((!hex && (s[i] == 'e' || s[i] == 'E')) || (hex && (s[i] == 'p' || s[i] == 'P'))) {
		j := i + 1
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
			hasExp = true
		}
	}
	end := i
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	num := s[start:end]
	if hex && !hasExp {
		num += "p0"
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}
