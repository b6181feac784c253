package binpack

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// sameValue compares two values exactly: same dynamic type, floats bit for
// bit (so -0 differs from 0) except that any NaN equals any NaN.
func sameValue(a, b Value) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(fa) || math.IsNaN(fb) {
			return math.IsNaN(fa) && math.IsNaN(fb)
		}
		return math.Float64bits(fa) == math.Float64bits(fb)
	}
	return a == b
}

func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func show(vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%T(%#v)", v, v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// wantError checks that err is an *Error with the given argument and text.
func wantError(t *testing.T, err error, arg int, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Error %q", err, err, msg)
	}
	if e.Msg != msg || e.Error() != msg || e.Arg != arg {
		t.Fatalf("got error {Arg: %d, Msg: %q}, want {Arg: %d, Msg: %q}", e.Arg, e.Msg, arg, msg)
	}
}

// caseName names a subtest, shortened: long arguments make slow names.
func caseName(format string, args []Value) string {
	name := fmt.Sprintf("%q%v", format, show(args))
	if len(name) > 60 {
		name = name[:60] + "..."
	}
	return name
}

func TestPackVectors(t *testing.T) {
	for _, tc := range packVectors {
		t.Run(caseName(tc.format, tc.args), func(t *testing.T) {
			got, err := Pack(tc.format, tc.args...)
			if err != nil {
				t.Fatalf("Pack: %v", err)
			}
			if h := hex.EncodeToString(got); h != tc.hex {
				t.Fatalf("Pack = %s, want %s", h, tc.hex)
			}
		})
	}
}

func TestPackUnpackRoundTrip(t *testing.T) {
	for _, tc := range packVectors {
		t.Run(caseName(tc.format, tc.args), func(t *testing.T) {
			data, err := hex.DecodeString(tc.hex)
			if err != nil {
				t.Fatal(err)
			}
			vals, next, err := Unpack(tc.format, data, 0)
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if !sameValues(vals, tc.unpacked) {
				t.Fatalf("Unpack = %s, want %s", show(vals), show(tc.unpacked))
			}
			if next != tc.next || next != len(data) {
				t.Fatalf("next = %d, want %d (len %d)", next, tc.next, len(data))
			}
			// Packing what came out gives the same bytes back.
			again, err := Pack(tc.format, vals...)
			if err != nil {
				t.Fatalf("re-Pack: %v", err)
			}
			if h := hex.EncodeToString(again); h != tc.hex {
				t.Fatalf("re-Pack = %s, want %s", h, tc.hex)
			}
			// Unpacking after a prefix: same values, offset moved along
			// (only without alignment, which depends on the absolute offset).
			if !strings.Contains(tc.format, "!") {
				prefixed := append([]byte("pre"), data...)
				vals, next, err := Unpack(tc.format, prefixed, 3)
				if err != nil || !sameValues(vals, tc.unpacked) || next != len(prefixed) {
					t.Fatalf("Unpack at 3 = %s, %d, %v", show(vals), next, err)
				}
			}
			// PackSize agrees for fixed-size formats.
			if !strings.ContainsAny(tc.format, "sz") {
				n, err := PackSize(tc.format)
				if err != nil || n != len(data) {
					t.Fatalf("PackSize = %d, %v; want %d", n, err, len(data))
				}
			}
		})
	}
}

func TestPackErrors(t *testing.T) {
	for _, tc := range packErrors {
		t.Run(caseName(tc.format, tc.args), func(t *testing.T) {
			got, err := Pack(tc.format, tc.args...)
			if got != nil {
				t.Errorf("Pack returned %x with its error", got)
			}
			wantError(t, err, tc.arg, tc.msg)
		})
	}
}

func TestUnpackVectors(t *testing.T) {
	for _, tc := range unpackVectors {
		t.Run(fmt.Sprintf("%q/%q/%d", tc.format, tc.data, tc.pos), func(t *testing.T) {
			vals, next, err := Unpack(tc.format, []byte(tc.data), tc.pos)
			if tc.msg != "" {
				if vals != nil || next != 0 {
					t.Errorf("Unpack returned %s, %d with its error", show(vals), next)
				}
				wantError(t, err, tc.arg, tc.msg)
				return
			}
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if !sameValues(vals, tc.want) || next != tc.next {
				t.Fatalf("Unpack = %s, %d; want %s, %d", show(vals), next, show(tc.want), tc.next)
			}
		})
	}
}

func TestPackSizeVectors(t *testing.T) {
	for _, tc := range packSizeVectors {
		t.Run(fmt.Sprintf("%q", tc.format), func(t *testing.T) {
			n, err := PackSize(tc.format)
			if tc.msg != "" {
				if n != 0 {
					t.Errorf("PackSize returned %d with its error", n)
				}
				wantError(t, err, tc.arg, tc.msg)
				return
			}
			if err != nil || n != tc.size {
				t.Fatalf("PackSize = %d, %v; want %d", n, err, tc.size)
			}
		})
	}
}

// TestPackGoTypes covers the Go argument types beyond Lua's own.
func TestPackGoTypes(t *testing.T) {
	tests := []struct {
		format string
		arg    Value
		hex    string
	}{
		{"<i4", int(-2), "feffffff"},
		{"<i4", int8(-2), "feffffff"},
		{"<i4", int16(-2), "feffffff"},
		{"<i4", int32(-2), "feffffff"},
		{"<I4", uint(7), "07000000"},
		{"<I4", uint8(7), "07000000"},
		{"<I4", uint16(7), "07000000"},
		{"<I4", uint32(0xffffffff), "ffffffff"},
		{"<I4", uintptr(7), "07000000"},
		{"<J", uint64(math.MaxUint64), "ffffffffffffffff"},
		{"<j", uint64(1 << 63), "0000000000000080"},
		{"<i4", uint64(math.MaxUint64), "ffffffff"}, // reinterpreted as int64(-1)
		{"<I16", uint64(math.MaxUint64), "ffffffffffffffff0000000000000000"},
		{"<i4", float32(3), "03000000"},
		{"<f", float32(1.5), "0000c03f"},
		{"<d", int(2), "0000000000000040"},
		{"<d", uint8(2), "0000000000000040"},
		{"<d", []byte("2"), "0000000000000040"},
		{"<i4", []byte(" 0x10 "), "10000000"},
		{"z", []byte("hi"), "686900"},
		{"z", uint8(9), "3900"},
		{"z", uint64(math.MaxUint64), "2d3100"},
		{"z", float32(0.5), "302e3500"},
		{"z", math.NaN(), "6e616e00"},
		{"z", math.Copysign(math.NaN(), -1), "2d6e616e00"},
		{"s1", []byte{0, 1}, "020001"},
		{"c3", []byte("ab"), "616200"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%T(%v)", tc.format, tc.arg, tc.arg), func(t *testing.T) {
			got, err := Pack(tc.format, tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			if h := hex.EncodeToString(got); h != tc.hex {
				t.Fatalf("Pack = %s, want %s", h, tc.hex)
			}
		})
	}
}

// TestPackGoTypeErrors covers errors that only Go callers can provoke, and
// the error strings not reachable through the Lua-generated vectors.
func TestPackGoTypeErrors(t *testing.T) {
	tests := []struct {
		format string
		args   []Value
		arg    int
		msg    string
	}{
		{"i4", []Value{struct{}{}}, 2, "number expected, got struct {}"},
		{"d", []Value{Other{Type: "function"}}, 2, "number expected, got function"},
		{"d", []Value{&Other{Type: "userdata"}}, 2, "number expected, got userdata"},
		{"d", []Value{(*Other)(nil)}, 2, "number expected, got nil"},
		{"z", []Value{Other{Type: "table"}}, 2, "string expected, got table"},
		{"z", []Value{[]int{1}}, 2, "string expected, got []int"},
		{"i4", []Value{float32(1.5)}, 2, "number has no integer representation"},
		{"i4", []Value{uint64(math.MaxInt64)}, 2, "integer overflow"},
		{"I4", []Value{uint64(math.MaxUint64)}, 2, "unsigned overflow"},
		{"b b b", []Value{int64(1), int64(2)}, 4, "number expected, got nil"},
		{"b x b", []Value{int64(1), "q"}, 3, "number expected, got string"},
		{"z", []Value{[]byte("a\x00")}, 2, "string contains zeros"},
		// A result above MaxSize fails before the big item is written.
		{"i16 c2147483639", []Value{int64(0), ""}, 1, "format result too large"},
		{"i16 x c2147483639", []Value{int64(0), ""}, 1, "format result too large"},
	}
	for _, tc := range tests {
		t.Run(caseName(tc.format, tc.args), func(t *testing.T) {
			_, err := Pack(tc.format, tc.args...)
			wantError(t, err, tc.arg, tc.msg)
		})
	}
}

func TestUnpackPositions(t *testing.T) {
	data := []byte{1, 2, 3}
	for _, pos := range []int{-1, 4, math.MaxInt, math.MinInt} {
		_, _, err := Unpack("b", data, pos)
		wantError(t, err, 3, "initial position out of string")
	}
	// pos == len(data) is allowed; nothing is left to read.
	vals, next, err := Unpack("", data, 3)
	if err != nil || len(vals) != 0 || next != 3 {
		t.Fatalf("Unpack at end = %v, %d, %v", vals, next, err)
	}
	_, _, err = Unpack("b", data, 3)
	wantError(t, err, 2, "data string too short")
	// A nil data slice behaves as an empty string.
	vals, next, err = Unpack("c0", nil, 0)
	if err != nil || !sameValues(vals, []Value{""}) || next != 0 {
		t.Fatalf("Unpack(c0, nil) = %v, %d, %v", vals, next, err)
	}
}

func TestUnpackTooManyResults(t *testing.T) {
	vals, next, err := Unpack(strings.Repeat("c0", MaxResults), nil, 0)
	if err != nil || len(vals) != MaxResults || next != 0 {
		t.Fatalf("Unpack of MaxResults items: %d values, %d, %v", len(vals), next, err)
	}
	_, _, err = Unpack(strings.Repeat("c0", MaxResults+1), nil, 0)
	wantError(t, err, 0, "too many results")
	// Options without a value do not count.
	_, _, err = Unpack(strings.Repeat("c0", MaxResults)+strings.Repeat(" ", 10), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
}

// TestFormatStopsAtZeroByte: Lua reads the format as a C string.
func TestFormatStopsAtZeroByte(t *testing.T) {
	got, err := Pack("<i2\x00y", int64(1))
	if err != nil || hex.EncodeToString(got) != "0100" {
		t.Fatalf("Pack = %x, %v", got, err)
	}
	vals, next, err := Unpack("<i2\x00y", []byte{1, 0}, 0)
	if err != nil || !sameValues(vals, []Value{int64(1)}) || next != 2 {
		t.Fatalf("Unpack = %v, %d, %v", vals, next, err)
	}
	if n, err := PackSize("<i2\x00y"); err != nil || n != 2 {
		t.Fatalf("PackSize = %d, %v", n, err)
	}
}

func TestPackEmpty(t *testing.T) {
	got, err := Pack("")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Pack(\"\") = %#v, %v; want empty non-nil slice", got, err)
	}
}

func TestLuaOffset(t *testing.T) {
	tests := []struct {
		init int64
		n    int
		pos  int
		ok   bool
	}{
		{1, 3, 0, true},
		{3, 3, 2, true},
		{4, 3, 3, true},
		{5, 3, 0, false},
		{0, 3, 0, false},
		{-1, 3, 2, true},
		{-3, 3, 0, true},
		{-4, 3, 0, false},
		{math.MinInt64, 3, 0, false},
		{math.MaxInt64, 3, 0, false},
		{1, 0, 0, true},
		{-1, 0, 0, false},
	}
	for _, tc := range tests {
		pos, err := LuaOffset(tc.init, tc.n)
		if tc.ok {
			if err != nil || pos != tc.pos {
				t.Errorf("LuaOffset(%d, %d) = %d, %v; want %d", tc.init, tc.n, pos, err, tc.pos)
			}
			continue
		}
		if err == nil {
			t.Errorf("LuaOffset(%d, %d) = %d, want error", tc.init, tc.n, pos)
			continue
		}
		wantError(t, err, 3, "initial position out of string")
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{1e14, "1e+14"},
		{1e15, "1e+15"},
		{123456789012.0, "123456789012.0"},
		{0.1, "0.1"},
		{1.0 / 3, "0.33333333333333"},
		{2.5e-300, "2.5e-300"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tc := range tests {
		if got := FormatFloat(tc.f); got != tc.want {
			t.Errorf("FormatFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestStrToNumber(t *testing.T) {
	tests := []struct {
		s     string
		i     int64
		f     float64
		isInt bool
		ok    bool
	}{
		{"0", 0, 0, true, true},
		{"-0", 0, 0, true, true},
		{"  42\t", 42, 0, true, true},
		{"0x7fffffffffffffff", math.MaxInt64, 0, true, true},
		{"0x10000000000000000", 0, 0, true, true}, // hex integers wrap
		{"-9223372036854775808", math.MinInt64, 0, true, true},
		{"9223372036854775808", 0, 9223372036854775808, false, true},
		{"-9223372036854775809", 0, -9223372036854775809, false, true},
		{"1.", 0, 1, false, true},
		{".5e1", 0, 5, false, true},
		{"0x1P+4", 0, 16, false, true},
		{"0x1.", 0, 1, false, true},
		{"1e+", 0, 0, false, false},
		{".", 0, 0, false, false},
		{"0x.p1", 0, 0, false, false},
		{"1_000", 0, 0, false, false},
		{"0x1_0", 0, 0, false, false},
		{"infinity", 0, 0, false, false},
		{"1e5x", 0, 0, false, false},
		{"+-1", 0, 0, false, false},
		{"0b101", 0, 0, false, false},
		{"1e99999999999999999999", 0, math.Inf(1), false, true},
		{"-0x1p99999999", 0, math.Inf(-1), false, true},
	}
	for _, tc := range tests {
		i, f, isInt, ok := strToNumber(tc.s)
		if ok != tc.ok || isInt != tc.isInt || i != tc.i || !sameValue(f, tc.f) {
			t.Errorf("strToNumber(%q) = %d, %v, %v, %v; want %d, %v, %v, %v", tc.s, i, f, isInt, ok, tc.i, tc.f, tc.isInt, tc.ok)
		}
	}
}
