package host

import (
	"bytes"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{2, "2"},
		{-17, "-17"},
		{0.1, "0.1"},
		{1764115200.123456, "1764115200.123456"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{123456789012345680000, "123456789012345680000"},
		{1e-6, "0.000001"},
		{1.5e-7, "1.5e-07"},
		{-2.5, "-2.5"},
		{1.0 / 3, "0.3333333333333333"},
		{9007199254740993, "9007199254740992"},
	}
	for _, c := range cases {
		if got := FormatNumber(c.in); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// print and tostring write numbers as FormatNumber does.
func TestPrintAndTostringNumbers(t *testing.T) {
	var out bytes.Buffer
	h := New(Options{Stdout: &out})
	defer h.Close()
	fn, err := h.L.LoadString(`print(1764115200.123456, 2^53, 0.1, tostring(1e21), tostring(7)); io.write(3.5, "\n")`)
	if err != nil {
		t.Fatal(err)
	}
	<-h.Spawn(fn, nil, SpawnOptions{}).Done()
	if got := out.String(); got != "1764115200.123456\t9007199254740992\t0.1\t1e+21\t7\n3.5\n" {
		t.Fatalf("output %q", got)
	}
}
