package binpack

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzSeeds are added to the seed files in testdata/fuzz.
var fuzzSeeds = []struct {
	format string
	data   string
}{
	{"<i4", "\x01\x00\x00\x00"},
	{"!<b Xi4 i4 d", "\x01\x00\x00\x00\x02\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\xf8\x3f"},
	{">s2 z c3", "\x00\x02hiabc\x00xyz"},
	{"<i16 I9 j J", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" + "\x01\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x80" + "\xff\xff\xff\xff\xff\xff\xff\xff"},
	{"f n x b B h H l L T", "\x00\x00\xc0\x7f" + "\x00\x00\x00\x00\x00\x00\xf0\x7f" + "xab" + "hh" + "HH" + "llllllll" + "LLLLLLLL" + "TTTTTTTT"},
	{"!16 i3", "abc"},
	{"c99999999999", ""},
	{"s", "\xff\xff\xff\xff\xff\xff\xff\xff"},
}

// checkErr fails unless err is nil or an *Error with a message.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Msg == "" || e.Arg < 0 || e.Arg > 3 {
		t.Fatalf("bad error %#v", err)
	}
}

// FuzzUnpack: Unpack and PackSize never panic, return *Error on failure,
// produce only int64/float64/string and an offset within the data; for a
// fixed-size format read from offset 0 the offset equals PackSize.
func FuzzUnpack(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.format, []byte(s.data), 0)
	}
	f.Fuzz(func(t *testing.T, format string, data []byte, pos int) {
		size, sizeErr := PackSize(format)
		checkErr(t, sizeErr)
		vals, next, err := Unpack(format, data, pos)
		checkErr(t, err)
		if err != nil {
			if vals != nil || next != 0 {
				t.Fatalf("values with error: %v, %d", vals, next)
			}
			return
		}
		if next < pos || next > len(data) {
			t.Fatalf("next %d outside [%d, %d]", next, pos, len(data))
		}
		for _, v := range vals {
			switch v.(type) {
			case int64, float64, string:
			default:
				t.Fatalf("unexpected value type %T", v)
			}
		}
		if pos == 0 && sizeErr == nil && next != size {
			t.Fatalf("read %d bytes, PackSize says %d", next, size)
		}
	})
}

// FuzzRoundTrip: whatever Unpack reads from offset 0, Pack writes back with
// the same format into as many bytes, and unpacking that gives the same
// values; packing those again gives identical bytes.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.format, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		vals, next, err := Unpack(format, data, 0)
		if err != nil {
			return
		}
		packed, err := Pack(format, vals...)
		if err != nil {
			t.Fatalf("Pack of unpacked values %s: %v", show(vals), err)
		}
		if len(packed) != next {
			t.Fatalf("packed %d bytes, unpacked %d", len(packed), next)
		}
		vals2, next2, err := Unpack(format, packed, 0)
		if err != nil || next2 != next || !sameValues(vals, vals2) {
			t.Fatalf("re-Unpack = %s, %d, %v; want %s, %d", show(vals2), next2, err, show(vals), next)
		}
		packed2, err := Pack(format, vals2...)
		if err != nil || !bytes.Equal(packed, packed2) {
			t.Fatalf("re-Pack = %x, %v; want %x", packed2, err, packed)
		}
	})
}
