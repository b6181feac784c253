package framing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"unsafe"
)

// The fuzz targets check, for any input: Decode never panics, never returns
// used > len(buf) or a payload longer than Max, gives a consistent answer for
// every prefix of the input (need more, then always the same frame or always
// an error), and agrees with a simple reference decoder; Encode followed by
// Decode is the identity. Their seeds (f.Add and testdata/fuzz/FuzzXxx) run in
// a normal `go test`.

// fuzzMax maps a fuzzed uint16 to a max: 0 is the default, 0xffff is
// math.MaxInt (to reach overflow checks), anything else is itself (small
// values reach the too-large paths).
func fuzzMax(m uint16) int {
	if m == math.MaxUint16 {
		return math.MaxInt
	}
	return int(m)
}

type result struct {
	used int
	msg  []byte
	err  error
}

func (r result) needMore() bool { return r.used == 0 && r.err == nil }

// decodeChecked calls c.Decode(buf) and checks the contract of one call.
// With readOnly, it also checks that Decode does not write to buf.
func decodeChecked(t *testing.T, c Codec, buf []byte, readOnly bool) result {
	t.Helper()
	var orig []byte
	if readOnly {
		orig = bytes.Clone(buf)
	}
	used, msg, err := c.Decode(buf)
	if readOnly && !bytes.Equal(buf, orig) {
		t.Fatalf("%s: Decode(%q) modified its input", c.Name(), orig)
	}
	r := result{used, msg, err}
	switch {
	case used < 0 || used > len(buf):
		t.Fatalf("%s: Decode(%q) used = %d, len(buf) = %d", c.Name(), buf, used, len(buf))
	case err != nil:
		var fe *FormatError
		if used != 0 || msg != nil {
			t.Fatalf("%s: Decode(%q) = %d, %q, %v: error with a result", c.Name(), buf, used, msg, err)
		}
		if err != ErrFrameTooLarge && (!errors.As(err, &fe) || fe.Codec != c.Name() || fe.Reason == "") {
			t.Fatalf("%s: Decode(%q) error %#v is neither ErrFrameTooLarge nor a *FormatError of this codec", c.Name(), buf, err)
		}
	case used == 0:
		if msg != nil {
			t.Fatalf("%s: Decode(%q) = 0, %q: payload without a frame", c.Name(), buf, msg)
		}
	default:
		if msg == nil || len(msg) > c.Max() || len(msg) > used || cap(msg) != len(msg) {
			t.Fatalf("%s: Decode(%q) = %d, %q (cap %d), Max %d", c.Name(), buf, used, msg, cap(msg), c.Max())
		}
		if len(msg) > 0 {
			p := uintptr(unsafe.Pointer(unsafe.SliceData(msg)))
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
			if p < lo || p+uintptr(len(msg)) > lo+uintptr(used) {
				t.Fatalf("%s: Decode(%q): payload does not alias the frame", c.Name(), buf)
			}
		}
	}
	return r
}

// checkDecode checks Decode on buf and on its prefixes: as the buffer grows,
// the answer is "need more" until it is a frame ending exactly at the last
// byte, and then the same frame, or an error, and then an error.
func checkDecode(t *testing.T, c Codec, buf []byte) result {
	t.Helper()
	full := decodeChecked(t, c, buf, true)
	ks := []int{len(buf)}
	// Every prefix of a short buffer; of a long one, the first and last
	// bytes and about 128 others, to keep this linear-ish.
	step := max(1, len(buf)/128)
	for k := 0; k < len(buf); k++ {
		if k < 256 || k%step == 0 || k >= len(buf)-16 {
			ks = append(ks, k)
		}
	}
	if full.used > 0 {
		ks = append(ks, full.used-1, full.used)
	}
	slices.Sort(ks)
	ks = slices.Compact(ks)
	var prev result
	prevK := -1
	for _, k := range ks {
		r := decodeChecked(t, c, buf[:k:k], false)
		switch {
		case prevK < 0 || prev.needMore():
			if r.used > 0 && r.used != k {
				t.Fatalf("%s: Decode(%q) = frame of %d bytes, but Decode of its %d-byte prefix was need more", c.Name(), buf[:k], r.used, prevK)
			}
		case prev.err != nil:
			if r.err == nil {
				t.Fatalf("%s: Decode(%q) = %d, %v after error %v for its %d-byte prefix", c.Name(), buf[:k], r.used, r.err, prev.err, prevK)
			}
		default:
			if r.used != prev.used || r.err != nil || !bytes.Equal(r.msg, prev.msg) {
				t.Fatalf("%s: Decode(%q) = %d, %q, %v, but Decode of its %d-byte prefix = %d, %q", c.Name(), buf[:k], r.used, r.msg, r.err, prevK, prev.used, prev.msg)
			}
		}
		prev, prevK = r, k
	}
	return full
}

// checkRoundTrip checks that Encode either fails properly or produces a frame
// that decodes back to msg, alone and followed by more bytes.
func checkRoundTrip(t *testing.T, c Codec, msg []byte) {
	t.Helper()
	dst := []byte("dst")
	enc, err := c.Encode(dst, msg)
	if err != nil {
		var fe *FormatError
		if string(enc) != "dst" {
			t.Fatalf("%s: Encode(%q) failed (%v) but changed dst to %q", c.Name(), msg, err, enc)
		}
		if (err == ErrFrameTooLarge) != (len(msg) > c.Max()) {
			t.Fatalf("%s: Encode(%d bytes), Max %d: %v", c.Name(), len(msg), c.Max(), err)
		}
		if err != ErrFrameTooLarge && (!errors.As(err, &fe) || fe.Codec != c.Name()) {
			t.Fatalf("%s: Encode(%q) error %#v", c.Name(), msg, err)
		}
		return
	}
	if !bytes.HasPrefix(enc, dst) {
		t.Fatalf("%s: Encode(%q) lost dst: %q", c.Name(), msg, enc)
	}
	enc = enc[len(dst):]
	r := checkDecode(t, c, enc)
	if r.err != nil || r.used != len(enc) || !bytes.Equal(r.msg, msg) {
		t.Fatalf("%s: Decode(Encode(%q) = %q) = %d, %q, %v", c.Name(), msg, enc, r.used, r.msg, r.err)
	}
	more := append(bytes.Clone(enc), enc...)
	more = append(more, msg...)
	if used, got, err := c.Decode(more); err != nil || used != len(enc) || !bytes.Equal(got, msg) {
		t.Fatalf("%s: Decode(Encode(%q) + more) = %d, %q, %v", c.Name(), msg, used, got, err)
	}
}

func FuzzHeader(f *testing.F) {
	f.Add(byte(9), uint16(0), []byte("5         hello"))
	f.Add(byte(9), uint16(0), []byte("-5        hello"))
	f.Add(byte(9), uint16(0), []byte("          "))
	f.Add(byte(1), uint16(4), []byte("5hello"))
	f.Add(byte(19), uint16(math.MaxUint16), []byte("99999999999999999999"))
	f.Add(byte(3), uint16(100), []byte("1 2 "))
	f.Fuzz(func(t *testing.T, width byte, max uint16, data []byte) {
		c, w := fuzzHeaderCodec(t, width, max)
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		// Reference: digits, then spaces, up to width.
		if len(data) < w {
			return
		}
		digits := bytes.TrimRight(data[:w], " ")
		valid := len(digits) > 0
		for _, b := range digits {
			valid = valid && isDigit(b)
		}
		var fe *FormatError
		switch v, err := strconv.ParseUint(string(digits), 10, 64); {
		case !valid:
			if r.err == nil {
				t.Fatalf("Decode(%q) = %d, %q; want an error", data, r.used, r.msg)
			}
		case err != nil || v > uint64(c.Max()):
			if r.err != ErrFrameTooLarge {
				t.Fatalf("Decode(%q) = %d, %v; want ErrFrameTooLarge", data, r.used, r.err)
			}
		case uint64(len(data)-w) < v:
			if !r.needMore() {
				t.Fatalf("Decode(%q) = %d, %v; want need more", data, r.used, r.err)
			}
		default:
			if r.used != w+int(v) {
				t.Fatalf("Decode(%q) = %d, %v; want a %d-byte frame", data, r.used, r.err, w+int(v))
			}
		}
		if errors.As(r.err, &fe) && valid {
			t.Fatalf("Decode(%q) = %v for a valid header", data, r.err)
		}
	})
}

// FuzzHeaderQuickPath: Decode's quick path for whole, valid headers
// gives what the careful decoder gives, on every input.
func FuzzHeaderQuickPath(f *testing.F) {
	f.Add(byte(9), uint16(0), []byte("5         hello"))
	f.Add(byte(9), uint16(40), []byte("0041      hello"))
	f.Add(byte(9), uint16(0), []byte("12 4      hello"))
	f.Add(byte(17), uint16(0), []byte("999999999999999999"))
	f.Add(byte(19), uint16(0), []byte("18446744073709551616"))
	f.Add(byte(0), uint16(9), []byte("9"))
	f.Fuzz(func(t *testing.T, width byte, max uint16, data []byte) {
		c, w := fuzzHeaderCodec(t, width, max)
		hc := c.(*headerCodec)
		used, msg, err := hc.Decode(data)
		wantUsed, wantMsg, wantErr := hc.decodeCarefully(data)
		if used != wantUsed || !bytes.Equal(msg, wantMsg) || cap(msg) != cap(wantMsg) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("header(%d) max %d, Decode(%q) = %d, %q, %v; carefully: %d, %q, %v", w, c.Max(), data, used, msg, err, wantUsed, wantMsg, wantErr)
		}
	})
}

// fuzzHeaderCodec is the header codec a fuzz input's width and max byte
// pick, and its width.
func fuzzHeaderCodec(t *testing.T, width byte, max uint16) (Codec, int) {
	w := 1 + int(width)%MaxHeaderWidth
	c, err := Header(w, fuzzMax(max))
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

func FuzzUint(f *testing.F) {
	f.Add(byte(2), false, uint16(0), []byte("\x00\x00\x00\x05hello"))
	f.Add(byte(1), true, uint16(0), []byte("\x05\x00hello"))
	f.Add(byte(0), false, uint16(4), []byte("\x05hello"))
	f.Add(byte(3), true, uint16(math.MaxUint16), []byte("\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add(byte(3), false, uint16(0), []byte("\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, size byte, little bool, max uint16, data []byte) {
		s := []int{1, 2, 4, 8}[size%4]
		c, err := Uint(s, little, fuzzMax(max))
		if err != nil {
			t.Fatal(err)
		}
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		if len(data) < s {
			return
		}
		var v uint64
		for i := range s {
			sh := 8 * (s - 1 - i)
			if little {
				sh = 8 * i
			}
			v |= uint64(data[i]) << sh
		}
		switch {
		case v > uint64(c.Max()):
			if r.err != ErrFrameTooLarge {
				t.Fatalf("Decode(%q) = %d, %v; want ErrFrameTooLarge", data, r.used, r.err)
			}
		case uint64(len(data)-s) < v:
			if !r.needMore() {
				t.Fatalf("Decode(%q) = %d, %v; want need more", data, r.used, r.err)
			}
		default:
			if r.used != s+int(v) || r.err != nil {
				t.Fatalf("Decode(%q) = %d, %v; want a %d-byte frame", data, r.used, r.err, s+int(v))
			}
		}
	})
}

func FuzzVarint(f *testing.F) {
	f.Add(uint16(0), []byte("\x05hello"))
	f.Add(uint16(0), []byte("\xac\x02"))
	f.Add(uint16(0), []byte("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"))
	f.Add(uint16(math.MaxUint16), []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"))
	f.Add(uint16(math.MaxUint16), []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Add(uint16(3), []byte("\x04four"))
	f.Add(uint16(0), []byte("\x80\x00"))
	f.Fuzz(func(t *testing.T, max uint16, data []byte) {
		c := Varint(fuzzMax(max))
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		// Reference: encoding/binary.
		var fe *FormatError
		switch v, n := binary.Uvarint(data); {
		case n < 0:
			if r.err == nil {
				t.Fatalf("Decode(%q) = %d; binary.Uvarint says overflow", data, r.used)
			}
		case n == 0 && len(data) >= binary.MaxVarintLen64:
			// binary.Uvarint waits for an 11th byte; the 10th having its
			// continuation bit already makes the varint too long.
			// (ErrFrameTooLarge may come first, with a small max.)
			if r.err == nil || errors.As(r.err, &fe) && r.err.Error() != "bad varint: longer than 10 bytes" {
				t.Fatalf("Decode(%q) = %d, %v; want longer than 10 bytes", data, r.used, r.err)
			}
		case n == 0:
			if errors.As(r.err, &fe) || r.used != 0 {
				t.Fatalf("Decode(%q) = %d, %v; binary.Uvarint says truncated", data, r.used, r.err)
			}
		case v > uint64(c.Max()):
			if r.err != ErrFrameTooLarge {
				t.Fatalf("Decode(%q) = %d, %v; want ErrFrameTooLarge", data, r.used, r.err)
			}
		case uint64(len(data)-n) < v:
			if !r.needMore() {
				t.Fatalf("Decode(%q) = %d, %v; want need more", data, r.used, r.err)
			}
		default:
			if r.used != n+int(v) || r.err != nil {
				t.Fatalf("Decode(%q) = %d, %v; want a %d-byte frame", data, r.used, r.err, n+int(v))
			}
		}
	})
}

func FuzzLine(f *testing.F) {
	f.Add("\n", uint16(0), []byte("hello\r\nworld\n"))
	f.Add("\n", uint16(5), []byte("hello\r"))
	f.Add("\n", uint16(5), []byte("hellox\n"))
	f.Add("\r\n", uint16(0), []byte("a\rb\r\n"))
	f.Add("aa", uint16(0), []byte("xaaa"))
	f.Add(",", uint16(2), []byte("abc"))
	f.Add("\n", uint16(math.MaxUint16), []byte("héllo ✓\n"))
	f.Fuzz(func(t *testing.T, delim string, max uint16, data []byte) {
		if delim == "" {
			delim = "\n"
		}
		if len(delim) > 8 {
			delim = delim[:8]
		}
		c, err := Line(delim, fuzzMax(max))
		if err != nil {
			t.Fatal(err)
		}
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		// Reference: the first delimiter ends the frame.
		i := bytes.Index(data, []byte(delim))
		if i < 0 {
			if r.used != 0 {
				t.Fatalf("Decode(%q) = %d without a delimiter", data, r.used)
			}
			return
		}
		p := data[:i]
		if delim == "\n" {
			p = bytes.TrimSuffix(p, []byte("\r"))
		}
		if len(p) > c.Max() {
			if r.err != ErrFrameTooLarge {
				t.Fatalf("Decode(%q) = %d, %v; want ErrFrameTooLarge", data, r.used, r.err)
			}
		} else if r.err != nil || r.used != i+len(delim) || !bytes.Equal(r.msg, p) {
			t.Fatalf("Decode(%q) = %d, %q, %v; want %q", data, r.used, r.msg, r.err, p)
		}
	})
}

func FuzzNetstring(f *testing.F) {
	f.Add(uint16(0), []byte("5:hello,"))
	f.Add(uint16(0), []byte("0:,"))
	f.Add(uint16(0), []byte("05:hello,"))
	f.Add(uint16(0), []byte("5:hello;"))
	f.Add(uint16(4), []byte("5:hello,"))
	f.Add(uint16(math.MaxUint16), []byte("99999999999999999999:"))
	f.Add(uint16(0), []byte("-1:x,"))
	f.Fuzz(func(t *testing.T, max uint16, data []byte) {
		c := Netstring(fuzzMax(max))
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		// Reference: the frame must be exactly strconv.Itoa(len(p)) + ":" + p + ",".
		if r.used > 0 {
			i := bytes.IndexByte(data, ':')
			want := strconv.Itoa(len(r.msg)) + ":" + string(r.msg) + ","
			if i < 0 || string(data[:r.used]) != want {
				t.Fatalf("Decode(%q) = frame %q, not a netstring", data, data[:r.used])
			}
		}
		if i := bytes.IndexByte(data, ':'); i > 0 {
			if v, err := strconv.ParseUint(string(data[:i]), 10, 64); err == nil && strconv.FormatUint(v, 10) == string(data[:i]) {
				end := i + 1 + int(min(v, uint64(len(data))))
				switch {
				case v > uint64(c.Max()):
					if r.err != ErrFrameTooLarge {
						t.Fatalf("Decode(%q) = %d, %v; want ErrFrameTooLarge", data, r.used, r.err)
					}
				case end >= len(data):
					if !r.needMore() {
						t.Fatalf("Decode(%q) = %d, %v; want need more", data, r.used, r.err)
					}
				case data[end] == ',':
					if r.used != end+1 {
						t.Fatalf("Decode(%q) = %d, %v; want a %d-byte frame", data, r.used, r.err, end+1)
					}
				default:
					if r.err == nil || r.err.Error() != "bad netstring: missing ','" {
						t.Fatalf("Decode(%q) = %d, %v; want missing ','", data, r.used, r.err)
					}
				}
			}
		}
	})
}

func FuzzFixed(f *testing.F) {
	f.Add(byte(4), uint16(0), []byte("hello"))
	f.Add(byte(0), uint16(1), []byte("x"))
	f.Add(byte(9), uint16(5), []byte("0123456789"))
	f.Add(byte(255), uint16(math.MaxUint16), []byte(""))
	f.Fuzz(func(t *testing.T, n byte, max uint16, data []byte) {
		size := 1 + int(n)
		m := fuzzMax(max)
		if m > 0 && m < size {
			m = 0
		}
		c, err := Fixed(size, m)
		if err != nil {
			t.Fatal(err)
		}
		r := checkDecode(t, c, data)
		checkRoundTrip(t, c, data)
		fit := make([]byte, size)
		copy(fit, data)
		checkRoundTrip(t, c, fit)
		if (len(data) >= size) != (r.used == size) || r.err != nil {
			t.Fatalf("Decode(%d bytes) = %d, %v", len(data), r.used, r.err)
		}
	})
}
