package host

import (
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// FormatNumber writes a number as a person would: whole numbers without a
// fraction or exponent, others in the shortest form that reads back the
// same, in plain decimal from 1e-6 up to 1e21 (now() prints as
// 1764115200.123456, not 1.764115200123456e+09), an exponent outside.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if a := math.Abs(f); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// ToString is tostring(v) with numbers written by FormatNumber.
func ToString(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return FormatNumber(float64(n))
	}
	return L.ToStringMeta(v).String()
}

// hostTostring implements tostring(v), numbers by FormatNumber.
func hostTostring(L *lua.LState) int {
	L.CheckAny(1)
	L.Push(lua.LString(ToString(L, L.Get(1))))
	return 1
}
