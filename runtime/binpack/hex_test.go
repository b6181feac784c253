package binpack

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/hexdump")

func TestHex(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{}, ""},
		{[]byte("Hello"), "48656c6c6f"},
		{[]byte{0x00, 0x0f, 0xab, 0xff}, "000fabff"},
	}
	for _, tc := range tests {
		if got := Hex(tc.in); got != tc.want {
			t.Errorf("Hex(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnhex(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"", []byte{}},
		{"48656c6c6f", []byte("Hello")},
		{"48656C6C6F", []byte("Hello")},
		{"DeAdBeEf", []byte{0xde, 0xad, 0xbe, 0xef}},
		{"de:ad:be:ef", []byte{0xde, 0xad, 0xbe, 0xef}},
		{" de ad\tbe\nef\r\n", []byte{0xde, 0xad, 0xbe, 0xef}},
		{"d e\va\fd", []byte{0xde, 0xad}},
		{"::  ::", []byte{}},
		{"00ff", []byte{0x00, 0xff}},
	}
	for _, tc := range tests {
		got, err := Unhex(tc.in)
		if err != nil || !bytes.Equal(got, tc.want) || got == nil {
			t.Errorf("Unhex(%q) = %x, %v; want %x", tc.in, got, err, tc.want)
		}
	}
}

func TestUnhexErrors(t *testing.T) {
	tests := []struct {
		in  string
		msg string
	}{
		{"abc", "odd number of hex digits (unpaired digit at offset 2)"},
		{"a", "odd number of hex digits (unpaired digit at offset 0)"},
		{"ab: c", "odd number of hex digits (unpaired digit at offset 4)"},
		{"0g", "invalid hex digit 'g' at offset 1"},
		{"00 11 zz", "invalid hex digit 'z' at offset 6"},
		{"0x10", "invalid hex digit 'x' at offset 1"},
		{"ab-cd", "invalid hex digit '-' at offset 2"},
		{"ab\x00cd", "invalid hex digit 0x00 at offset 2"},
		{"ab\xc3\xa9", "invalid hex digit 0xc3 at offset 2"},
		{"a\x7f", "invalid hex digit 0x7f at offset 1"},
	}
	for _, tc := range tests {
		got, err := Unhex(tc.in)
		if got != nil {
			t.Errorf("Unhex(%q) returned %x with its error", tc.in, got)
		}
		wantError(t, err, 1, tc.msg)
	}
}

func TestHexRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	got, err := Unhex(Hex(all))
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("Unhex(Hex(0..255)) = %x, %v", got, err)
	}
	got, err = Unhex(strings.ToUpper(Hex(all)))
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("Unhex(upper) = %x, %v", got, err)
	}
}

// hexdumpInputs are the inputs of the golden files testdata/hexdump/NAME.golden.
// Those files were checked by hand against `xxd` (run `go test -update` to
// rewrite them, then compare with `xxd` before committing).
func hexdumpInputs() map[string][]byte {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	return map[string][]byte{
		"empty":    {},
		"hello":    []byte("Hello\n"),
		"bytes16":  seq(16),
		"bytes17":  seq(17),
		"bytes256": seq(256),
		"text":     []byte("The quick brown fox jumps over the lazy dog.\n~\x7f\x80\xff end"),
		"odd":      []byte("abc"),
	}
}

func TestHexdumpGolden(t *testing.T) {
	for name, in := range hexdumpInputs() {
		t.Run(name, func(t *testing.T) {
			got := Hexdump(in)
			path := filepath.Join("testdata", "hexdump", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("Hexdump mismatch for %s:\ngot:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
}

func TestHexdumpShape(t *testing.T) {
	if got := Hexdump(nil); got != "" {
		t.Fatalf("Hexdump(nil) = %q", got)
	}
	want := "00000000: 4865 6c6c 6f0a                           Hello.\n"
	if got := Hexdump([]byte("Hello\n")); got != want {
		t.Fatalf("Hexdump(Hello) = %q, want %q", got, want)
	}
	// Every line has the same width up to the ASCII column.
	for n := 1; n <= 40; n++ {
		out := Hexdump(bytes.Repeat([]byte{'a'}, n))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != (n+15)/16 {
			t.Fatalf("n=%d: %d lines", n, len(lines))
		}
		for _, l := range lines {
			if l[49:51] != "  " || l[51] != 'a' {
				t.Fatalf("n=%d: ASCII column misplaced in %q", n, l)
			}
		}
	}
}
