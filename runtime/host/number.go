package host

import (
	"math"
	"strconv"
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
