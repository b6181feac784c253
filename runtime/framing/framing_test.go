package framing

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"unsafe"
)

func must(c Codec, err error) Codec {
	if err != nil {
		panic(err)
	}
	return c
}

// payloads exercise delimiters, digits, spaces, colons, commas, NULs, CRs
// and non-ASCII bytes ("héllo ✓" is 10 bytes, 7 characters).
var payloads = []string{
	"",
	"hello",
	"héllo ✓",
	"12345",
	"          ",
	"5:hi,",
	"a b\tc",
	"\x00\xff\x80\x01",
	"line\none",
	"cr\rlf\r\nend",
	"0:,",
	strings.Repeat("x", 300),
	strings.Repeat("y", 70000),
}

type codecCase struct {
	c    Codec
	msgs []string
}

// codecCases lists every codec with the payloads it can frame.
func codecCases() []codecCase {
	var cases []codecCase
	add := func(c Codec) {
		var msgs []string
		for _, p := range payloads {
			if _, err := c.Encode(nil, []byte(p)); err == nil {
				msgs = append(msgs, p)
			}
		}
		cases = append(cases, codecCase{c, msgs})
	}
	add(must(Header(10, 0)))
	add(must(Header(3, 0)))
	add(must(Header(20, 0)))
	for _, size := range []int{1, 2, 4, 8} {
		add(must(Uint(size, false, 0)))
		add(must(Uint(size, true, 0)))
	}
	add(Varint(0))
	add(must(Line("\n", 0)))
	add(must(Line("\r\n", 0)))
	add(must(Line(",", 0)))
	add(must(Line("\x00\x00", 0)))
	add(Netstring(0))
	for _, n := range []int{1, 5, 10, 300} {
		c := must(Fixed(n, 0))
		msgs := []string{strings.Repeat("z", n)}
		for _, p := range payloads {
			if len(p) == n {
				msgs = append(msgs, p)
			}
		}
		cases = append(cases, codecCase{c, msgs})
	}
	return cases
}

func encodeAll(t testing.TB, c Codec, msgs []string) (buf []byte, ends []int) {
	t.Helper()
	for _, m := range msgs {
		var err error
		buf, err = c.Encode(buf, []byte(m))
		if err != nil {
			t.Fatalf("%s: Encode(%.20q): %v", c.Name(), m, err)
		}
		ends = append(ends, len(buf))
	}
	return buf, ends
}

func TestCodecCasesCoverPayloads(t *testing.T) {
	for _, cc := range codecCases() {
		want := 2
		if strings.HasPrefix(cc.c.Name(), "fixed") {
			want = 1
		}
		if len(cc.msgs) < want {
			t.Errorf("%s: only %d payloads", cc.c.Name(), len(cc.msgs))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.c.Name(), func(t *testing.T) {
			for _, m := range cc.msgs {
				enc, err := cc.c.Encode([]byte("prefix"), []byte(m))
				if err != nil {
					t.Fatalf("Encode(%.20q): %v", m, err)
				}
				if !bytes.HasPrefix(enc, []byte("prefix")) {
					t.Fatalf("Encode(%.20q) lost dst", m)
				}
				enc = enc[len("prefix"):]
				used, got, err := cc.c.Decode(enc)
				if err != nil || used != len(enc) || string(got) != m || got == nil {
					t.Fatalf("Decode(Encode(%.20q)) = %d, %.20q, %v; want %d", m, used, got, err, len(enc))
				}
			}
		})
	}
}

func TestEmptyPayload(t *testing.T) {
	for _, cc := range codecCases() {
		_, err := cc.c.Encode(nil, nil)
		isFixed := strings.HasPrefix(cc.c.Name(), "fixed")
		if isFixed != (err != nil) {
			t.Errorf("%s: Encode(empty) error = %v", cc.c.Name(), err)
		}
	}
}

func TestManyFramesInOneBuffer(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.c.Name(), func(t *testing.T) {
			msgs := append(append([]string{}, cc.msgs...), cc.msgs...)
			buf, ends := encodeAll(t, cc.c, msgs)
			off := 0
			for i, m := range msgs {
				used, got, err := cc.c.Decode(buf[off:])
				if err != nil || string(got) != m || off+used != ends[i] {
					t.Fatalf("frame %d: Decode = %d, %.20q, %v; want %.20q ending at %d", i, used, got, err, m, ends[i])
				}
				off += used
			}
			if used, got, err := cc.c.Decode(buf[off:]); used != 0 || got != nil || err != nil {
				t.Fatalf("Decode(empty) = %d, %q, %v", used, got, err)
			}
		})
	}
}

// TestByteAtATime feeds the stream one byte at a time into a growing buffer:
// Decode must say "need more" until the last byte of each frame arrives.
func TestByteAtATime(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.c.Name(), func(t *testing.T) {
			stream, ends := encodeAll(t, cc.c, cc.msgs)
			var buf []byte
			start, frame := 0, 0 // stream offset of buf[0], next frame
			for i := 0; i < len(stream); i++ {
				buf = append(buf, stream[i])
				used, got, err := cc.c.Decode(buf)
				if err != nil {
					t.Fatalf("at byte %d: %v", i, err)
				}
				if start+len(buf) < ends[frame] {
					if used != 0 || got != nil {
						t.Fatalf("at byte %d: Decode = %d, %.20q; want need more", i, used, got)
					}
					continue
				}
				if start+used != ends[frame] || string(got) != cc.msgs[frame] {
					t.Fatalf("at byte %d: Decode = %d, %.20q; want %.20q", i, used, got, cc.msgs[frame])
				}
				buf = buf[used:]
				start += used
				frame++
			}
			if frame != len(cc.msgs) {
				t.Fatalf("got %d frames, want %d", frame, len(cc.msgs))
			}
		})
	}
}

// TestSplitAtEveryOffset splits a two-frame stream at every offset into two
// reads; every prefix of a frame is "need more".
func TestSplitAtEveryOffset(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.c.Name(), func(t *testing.T) {
			for _, m := range cc.msgs {
				if len(m) > 400 {
					continue
				}
				stream, ends := encodeAll(t, cc.c, []string{m, cc.msgs[0]})
				for k := 0; k <= len(stream); k++ {
					first := stream[:k:k]
					used, got, err := cc.c.Decode(first)
					if err != nil {
						t.Fatalf("%.20q split at %d: %v", m, k, err)
					}
					if k < ends[0] {
						if used != 0 || got != nil {
							t.Fatalf("%.20q split at %d: Decode = %d, %.20q; want need more", m, k, used, got)
						}
						used, got, err = cc.c.Decode(append(first, stream[k:]...))
					}
					if err != nil || used != ends[0] || string(got) != m {
						t.Fatalf("%.20q split at %d: Decode = %d, %.20q, %v", m, k, used, got, err)
					}
				}
			}
		})
	}
}

func TestWireFormat(t *testing.T) {
	tests := []struct {
		c    Codec
		msg  string
		wire string
	}{
		{must(Header(10, 0)), "hello", "5         hello"},
		{must(Header(10, 0)), "", "0         "},
		{must(Header(10, 0)), "héllo ✓", "10        héllo ✓"},
		{must(Header(2, 0)), strings.Repeat("a", 99), "99" + strings.Repeat("a", 99)},
		{must(Uint(1, false, 0)), "hi", "\x02hi"},
		{must(Uint(2, false, 0)), "hi", "\x00\x02hi"},
		{must(Uint(2, true, 0)), "hi", "\x02\x00hi"},
		{must(Uint(4, false, 0)), "hi", "\x00\x00\x00\x02hi"},
		{must(Uint(4, true, 0)), "hi", "\x02\x00\x00\x00hi"},
		{must(Uint(8, false, 0)), "hi", "\x00\x00\x00\x00\x00\x00\x00\x02hi"},
		{must(Uint(8, true, 0)), "hi", "\x02\x00\x00\x00\x00\x00\x00\x00hi"},
		{Varint(0), "hi", "\x02hi"},
		{Varint(0), strings.Repeat("a", 300), "\xac\x02" + strings.Repeat("a", 300)},
		{must(Line("\n", 0)), "hello", "hello\n"},
		{must(Line("\r\n", 0)), "hello", "hello\r\n"},
		{must(Line("END", 0)), "hello", "helloEND"},
		{Netstring(0), "hello", "5:hello,"},
		{Netstring(0), "", "0:,"},
		{Netstring(0), "héllo ✓", "10:héllo ✓,"},
		{must(Fixed(5, 0)), "hello", "hello"},
	}
	for _, tt := range tests {
		got, err := tt.c.Encode(nil, []byte(tt.msg))
		if err != nil || string(got) != tt.wire {
			t.Errorf("%s: Encode(%.20q) = %.30q, %v; want %.30q", tt.c.Name(), tt.msg, got, err, tt.wire)
		}
	}
}

func TestLineCRLF(t *testing.T) {
	lf := must(Line("\n", 0))
	for _, tt := range []struct{ in, want string }{
		{"hello\r\nrest", "hello"},
		{"hello\nrest", "hello"},
		{"\r\n", ""},
		{"\n", ""},
		{"a\r\r\n", "a\r"},
		{"a\rb\n", "a\rb"},
	} {
		used, got, err := lf.Decode([]byte(tt.in))
		if err != nil || string(got) != tt.want || used != strings.Index(tt.in, "\n")+1 {
			t.Errorf("Decode(%q) = %d, %q, %v; want %q", tt.in, used, got, err, tt.want)
		}
	}
	// Only "\n" strips a '\r'.
	comma := must(Line(",", 0))
	if _, got, _ := comma.Decode([]byte("a\r,")); string(got) != "a\r" {
		t.Errorf(`line(","): Decode("a\r,") = %q`, got)
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		c    Codec
		want string
	}{
		{must(Header(10, 0)), "header(10)"},
		{must(Uint(1, false, 0)), "u8"},
		{must(Uint(1, true, 0)), "u8"},
		{must(Uint(2, false, 0)), "u16be"},
		{must(Uint(2, true, 0)), "u16le"},
		{must(Uint(4, false, 0)), "u32be"},
		{must(Uint(4, true, 0)), "u32le"},
		{must(Uint(8, false, 0)), "u64be"},
		{must(Uint(8, true, 0)), "u64le"},
		{Varint(0), "varint"},
		{must(Line("\n", 0)), `line("\n")`},
		{must(Line("\r\n", 0)), `line("\r\n")`},
		{Netstring(0), "netstring"},
		{must(Fixed(16, 0)), "fixed(16)"},
	} {
		if got := tt.c.Name(); got != tt.want {
			t.Errorf("Name() = %q, want %q", got, tt.want)
		}
	}
}

func TestMax(t *testing.T) {
	for _, tt := range []struct {
		c    Codec
		want int
	}{
		{must(Header(10, 0)), DefaultMax},
		{must(Header(10, -5)), DefaultMax},
		{must(Header(10, 100)), 100},
		{must(Uint(2, false, 7)), 7},
		{Varint(0), 1 << 20},
		{must(Line("\n", 9)), 9},
		{Netstring(3), 3},
		{must(Fixed(4, 0)), DefaultMax},
		{must(Fixed(4, 4)), 4},
	} {
		if got := tt.c.Max(); got != tt.want {
			t.Errorf("%s: Max() = %d, want %d", tt.c.Name(), got, tt.want)
		}
	}
}

func TestConstructorErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"header width 0", second(Header(0, 0)), "framing: header width 0 out of range 1..20"},
		{"header width 21", second(Header(21, 0)), "framing: header width 21 out of range 1..20"},
		{"uint size 3", second(Uint(3, false, 0)), "framing: uint prefix size 3 is not 1, 2, 4 or 8"},
		{"uint size 0", second(Uint(0, true, 0)), "framing: uint prefix size 0 is not 1, 2, 4 or 8"},
		{"line empty", second(Line("", 0)), "framing: empty line delimiter"},
		{"fixed 0", second(Fixed(0, 0)), "framing: fixed size 0 out of range 1..1048576"},
		{"fixed > max", second(Fixed(11, 10)), "framing: fixed size 11 out of range 1..10"},
	} {
		if tt.err == nil || tt.err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.name, tt.err, tt.want)
		}
	}
	for _, w := range []int{1, 20} {
		if _, err := Header(w, 0); err != nil {
			t.Errorf("Header(%d): %v", w, err)
		}
	}
}

func second(_ Codec, err error) error { return err }

// TestDecodeErrors checks that each malformed input gives its own exact error.
func TestDecodeErrors(t *testing.T) {
	h10 := must(Header(10, 0))
	h4 := must(Header(4, 0))
	ns := Netstring(0)
	vi := Varint(0)
	tests := []struct {
		c    Codec
		in   string
		want string
	}{
		{h10, "12x4      ", `bad header: non-digit byte 'x' at offset 2`},
		{h10, "123x", `bad header: non-digit byte 'x' at offset 3`},
		{h10, "x", `bad header: non-digit byte 'x' at offset 0`},
		{h10, "5\t        hello", `bad header: non-digit byte '\t' at offset 1`},
		{h10, "\t5        hello", `bad header: non-digit byte '\t' at offset 0`},
		{h10, "5   \x00", `bad header: non-digit byte '\x00' at offset 4`},
		{h10, "5 \xc3\xa9", `bad header: non-digit byte '\xc3' at offset 2`},
		{h10, "1-2", `bad header: non-digit byte '-' at offset 1`},
		{h10, "-5        hello", `bad header: negative length`},
		{h10, "-", `bad header: negative length`},
		{h10, "+5        hello", `bad header: sign '+' not allowed`},
		{h10, " 5        hello", `bad header: leading space`},
		{h10, "  5", `bad header: leading space`},
		{h10, "          hello", `bad header: empty length`},
		{h4, "    ", `bad header: empty length`},
		{h10, "1 2       ", `bad header: digit '2' after space at offset 2`},
		{h10, "5     7", `bad header: digit '7' after space at offset 6`},
		{h10, "12345678901", "frame too large"},
		{h10, "1048577   ", "frame too large"},
		{h10, "99999999999999999999", "frame too large"},

		{must(Header(20, 0)), "99999999999999999999", "frame too large"},
		{must(Header(20, 1<<62)), "99999999999999999999", "frame too large"},

		{ns, "5x", `bad netstring: non-digit byte 'x' at offset 1`},
		{ns, "x", `bad netstring: non-digit byte 'x' at offset 0`},
		{ns, " 5:hello,", `bad netstring: non-digit byte ' ' at offset 0`},
		{ns, "5 :hello,", `bad netstring: non-digit byte ' ' at offset 1`},
		{ns, "-5:hello,", `bad netstring: negative length`},
		{ns, ":hello,", `bad netstring: empty length`},
		{ns, "05:hello,", `bad netstring: leading zero`},
		{ns, "00:,", `bad netstring: leading zero`},
		{ns, "5:hello;", `bad netstring: missing ','`},
		{ns, "5:hellox,", `bad netstring: missing ','`},
		{ns, "0:x", `bad netstring: missing ','`},
		{ns, "1048577:", "frame too large"},
		{ns, "99999999999999999999999", "frame too large"},

		{vi, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", `bad varint: longer than 10 bytes`},
		{Varint(math.MaxInt), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", `bad varint: longer than 10 bytes`},
		{Varint(math.MaxInt), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", `bad varint: overflows 64 bits`},
		{vi, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", `bad varint: longer than 10 bytes`},
		{Varint(1<<62 + 1), "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", `bad varint: overflows 64 bits`},
		{vi, "\x81\x80\x40", "frame too large"}, // 1<<20 + 1
		{vi, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "frame too large"},
	}
	for _, tt := range tests {
		used, got, err := tt.c.Decode([]byte(tt.in))
		if err == nil || err.Error() != tt.want || used != 0 || got != nil {
			t.Errorf("%s: Decode(%q) = %d, %q, %v; want error %q", tt.c.Name(), tt.in, used, got, err, tt.want)
			continue
		}
		var fe *FormatError
		if tt.want == "frame too large" {
			if err != ErrFrameTooLarge {
				t.Errorf("%s: Decode(%q) = %#v, want ErrFrameTooLarge", tt.c.Name(), tt.in, err)
			}
		} else if !errors.As(err, &fe) || fe.Codec != tt.c.Name() {
			t.Errorf("%s: Decode(%q) = %#v, want *FormatError from this codec", tt.c.Name(), tt.in, err)
		}
	}
}

// TestDecodeNeedMore lists inputs that are valid so far but incomplete.
func TestDecodeNeedMore(t *testing.T) {
	h10 := must(Header(10, 0))
	tests := []struct {
		c  Codec
		in string
	}{
		{h10, ""},
		{h10, "5"},
		{h10, "5        "},
		{h10, "5         hell"},
		{h10, " "},
		{h10, "         "}, // 9 spaces: an error once the 10th arrives
		{h10, "1048576   "},
		{must(Uint(4, false, 0)), "\x00\x00\x00"},
		{must(Uint(4, false, 0)), "\x00\x00\x00\x05hell"},
		{must(Uint(8, true, 0)), "\x05\x00\x00\x00\x00\x00\x00"},
		{Varint(0), "\x80"},
		{Varint(0), "\x80\x80\x80\x80\x80\x80\x80\x80\x80"},
		{Varint(0), "\x05hell"},
		{must(Line("\r\n", 0)), "hello\r"},
		{must(Line("\n", 0)), "hello\r"},
		{Netstring(0), "0"},
		{Netstring(0), "5"},
		{Netstring(0), "5:"},
		{Netstring(0), "5:hello"},
		{Netstring(0), "1048576:"},
		{must(Fixed(5, 0)), "hell"},
	}
	for _, tt := range tests {
		used, got, err := tt.c.Decode([]byte(tt.in))
		if used != 0 || got != nil || err != nil {
			t.Errorf("%s: Decode(%q) = %d, %q, %v; want need more", tt.c.Name(), tt.in, used, got, err)
		}
	}
}

// TestTruncatedVarint: a truncated varint is "need more", then completes.
func TestTruncatedVarint(t *testing.T) {
	c := Varint(0)
	stream := "\xac\x02" + strings.Repeat("v", 300) // 300 = 0xac 0x02
	for k := 0; k < len(stream); k++ {
		if used, got, err := c.Decode([]byte(stream[:k])); used != 0 || got != nil || err != nil {
			t.Fatalf("Decode(stream[:%d]) = %d, %q, %v; want need more", k, used, got, err)
		}
	}
	used, got, err := c.Decode([]byte(stream))
	if used != len(stream) || string(got) != strings.Repeat("v", 300) || err != nil {
		t.Fatalf("Decode(stream) = %d, %q, %v", used, got, err)
	}
	// A maximal valid 10-byte varint (1<<63) is accepted up to the header.
	big := Varint(1<<63 - 1)
	if _, _, err := big.Decode([]byte("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01")); err != ErrFrameTooLarge {
		t.Errorf("1<<63: err = %v, want ErrFrameTooLarge", err)
	}
	if used, _, err := big.Decode([]byte("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f")); used != 0 || err != nil {
		t.Errorf("1<<63-2: %d, %v; want need more", used, err)
	}
}

// TestTooLargeHeaderOnly: an announced length over Max is refused when only
// the header has arrived, before any body bytes.
func TestTooLargeHeaderOnly(t *testing.T) {
	const max = 100
	line := must(Line("\n", max))
	tests := []struct {
		c      Codec
		header string
	}{
		{must(Header(10, max)), "101       "},
		{must(Header(10, 0)), "1048577   "},
		{must(Header(3, max)), "101"},
		{must(Uint(1, false, max)), "\x65"},
		{must(Uint(2, false, max)), "\x00\x65"},
		{must(Uint(2, true, max)), "\x65\x00"},
		{must(Uint(4, false, 0)), "\x00\x10\x00\x01"},
		{must(Uint(8, false, max)), "\x00\x00\x00\x00\x00\x00\x00\x65"},
		{must(Uint(8, true, 0)), "\xff\xff\xff\xff\xff\xff\xff\xff"},
		{Varint(max), "\x65"},
		{Varint(0), "\x81\x80\x40"},
		{Netstring(max), "101:"},
		{Netstring(0), "1048577:"},
	}
	for _, tt := range tests {
		if _, _, err := tt.c.Decode([]byte(tt.header)); err != ErrFrameTooLarge {
			t.Errorf("%s: Decode(%q) err = %v, want ErrFrameTooLarge", tt.c.Name(), tt.header, err)
		}
		// Exactly max is fine: need more.
	}
	for _, tt := range []struct {
		c      Codec
		header string
	}{
		{must(Header(10, max)), "100       "},
		{must(Uint(1, false, max)), "\x64"},
		{Varint(max), "\x64"},
		{Netstring(max), "100:"},
	} {
		if used, _, err := tt.c.Decode([]byte(tt.header)); used != 0 || err != nil {
			t.Errorf("%s: Decode(%q) = %d, %v, want need more", tt.c.Name(), tt.header, used, err)
		}
	}

	// Line: max+len(delim) bytes with no delimiter can no longer be a frame;
	// one more byte is allowed for "\n" (the "\r" of "\r\n").
	long := strings.Repeat("a", max)
	for _, tt := range []struct {
		c       Codec
		in      string
		tooBig  bool
		payload string
	}{
		{line, long, false, ""},
		{line, long + "\r", false, ""},
		{line, long + "a", false, ""},
		{line, long + "\r\n", false, long},
		{line, long + "\n", false, long},
		{line, long + "aa", true, ""},
		{line, long + "a\n", true, ""},
		{line, long + "a\r", true, ""},
		{line, long + "a\r\n", true, ""},
		{line, long + strings.Repeat("a", 10000) + "\n", true, ""},
		{must(Line("ab", max)), long + "a", false, ""},
		{must(Line("ab", max)), long + "ab", false, long},
		{must(Line("ab", max)), long + "x", false, ""},
		{must(Line("ab", max)), long + "xa", true, ""},
	} {
		used, got, err := tt.c.Decode([]byte(tt.in))
		switch {
		case tt.tooBig && err != ErrFrameTooLarge:
			t.Errorf("%s: Decode(%d bytes ...%q) = %d, %v; want ErrFrameTooLarge", tt.c.Name(), len(tt.in), tt.in[len(tt.in)-2:], used, err)
		case !tt.tooBig && (err != nil || string(got) != tt.payload):
			t.Errorf("%s: Decode(%d bytes ...%q) = %d, %v; want %d-byte payload", tt.c.Name(), len(tt.in), tt.in[len(tt.in)-2:], used, err, len(tt.payload))
		}
	}
}

// encodeErrorCase is a message a codec cannot frame, and the error.
type encodeErrorCase struct {
	c    Codec
	msg  string
	want string
}

func encodeErrorCases() []encodeErrorCase {
	return []encodeErrorCase{
		{must(Header(10, 5)), "toolong", "frame too large"},
		{must(Header(2, 0)), strings.Repeat("a", 100), "bad header: length 100 needs 3 digits, width is 2"},
		{must(Header(1, 0)), "0123456789", "bad header: length 10 needs 2 digits, width is 1"},
		{must(Uint(1, false, 0)), strings.Repeat("a", 256), "bad header: length 256 does not fit in 1-byte prefix"},
		{must(Uint(2, true, 0)), strings.Repeat("a", 65536), "bad header: length 65536 does not fit in 2-byte prefix"},
		{must(Uint(4, false, 3)), "four", "frame too large"},
		{Varint(3), "four", "frame too large"},
		{Netstring(3), "four", "frame too large"},
		{must(Line("\n", 3)), "four", "frame too large"},
		{must(Line("\n", 0)), "two\nlines", `bad message: contains delimiter "\n"`},
		{must(Line("\n", 0)), "trailing\n", `bad message: contains delimiter "\n"`},
		{must(Line("\n", 0)), "cr\r", `bad message: ends with '\r'`},
		{must(Line("\r\n", 0)), "a\r\nb", `bad message: contains delimiter "\r\n"`},
		{must(Line("aa", 0)), "xa", `bad message: end overlaps delimiter "aa"`},
		{must(Line("abab", 0)), "xab", `bad message: end overlaps delimiter "abab"`},
		{must(Fixed(5, 0)), "hi", "bad message: length 2, want 5"},
		{must(Fixed(5, 0)), "", "bad message: length 0, want 5"},
		{must(Fixed(5, 0)), "toolong", "bad message: length 7, want 5"},
		{must(Fixed(5, 6)), "toolong", "frame too large"},
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tt := range encodeErrorCases() {
		dst := []byte("keep")
		got, err := tt.c.Encode(dst, []byte(tt.msg))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: Encode(%.20q) err = %v, want %q", tt.c.Name(), tt.msg, err, tt.want)
		}
		if string(got) != "keep" {
			t.Errorf("%s: Encode(%.20q) returned dst %.20q, want it unchanged", tt.c.Name(), tt.msg, got)
		}
		var fe *FormatError
		if tt.want != "frame too large" && (!errors.As(err, &fe) || fe.Codec != tt.c.Name()) {
			t.Errorf("%s: Encode(%.20q) err = %#v, want *FormatError", tt.c.Name(), tt.msg, err)
		}
	}
	// Line codecs that are fine with a '\r' at the end.
	for _, d := range []string{"\r\n", ","} {
		if _, err := must(Line(d, 0)).Encode(nil, []byte("cr\r")); err != nil {
			t.Errorf("line(%q): Encode(\"cr\\r\"): %v", d, err)
		}
	}
}

// EncodeAround gives Encode's frame with the message left out, and
// Encode's errors; every codec but Line has it.
func TestEncodeAroundIsEncodeWithoutTheMessage(t *testing.T) {
	var cases []encodeErrorCase
	for _, cc := range codecCases() {
		for _, m := range cc.msgs {
			cases = append(cases, encodeErrorCase{cc.c, m, ""})
		}
	}
	cases = append(cases, encodeErrorCases()...)
	for _, tt := range cases {
		a, ok := tt.c.(Around)
		if isLine := strings.HasPrefix(tt.c.Name(), "line("); ok == isLine {
			t.Fatalf("%s: is an Around: %v", tt.c.Name(), ok)
		}
		if !ok {
			continue
		}
		want, werr := tt.c.Encode([]byte("keep"), []byte(tt.msg))
		out, head, err := a.EncodeAround([]byte("keep"), []byte(tt.msg))
		if fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Errorf("%s: EncodeAround(%.20q) err = %v, Encode's %v", tt.c.Name(), tt.msg, err, werr)
			continue
		}
		if err != nil {
			if string(out) != "keep" || head != 4 {
				t.Errorf("%s: EncodeAround(%.20q) failed with %q, head %d; want dst unchanged, head 4", tt.c.Name(), tt.msg, out, head)
			}
			continue
		}
		if head < 4 || head > len(out) {
			t.Fatalf("%s: EncodeAround(%.20q): head %d outside 4..%d", tt.c.Name(), tt.msg, head, len(out))
		}
		got := string(out[:head]) + tt.msg + string(out[head:])
		if got != string(want) {
			t.Errorf("%s: EncodeAround(%.20q) = %q | msg | %q, Encode's %q", tt.c.Name(), tt.msg, out[:head], out[head:], want)
		}
	}
}

func TestFixedDecode(t *testing.T) {
	c := must(Fixed(3, 0))
	used, got, err := c.Decode([]byte("abcdefg"))
	if used != 3 || string(got) != "abc" || err != nil {
		t.Errorf("Decode = %d, %q, %v", used, got, err)
	}
}

// TestPayloadAliasesBuffer: payloads are subslices of buf with clipped
// capacity, so appending to one cannot overwrite the next frame.
func TestPayloadAliasesBuffer(t *testing.T) {
	for _, cc := range codecCases() {
		buf, _ := encodeAll(t, cc.c, cc.msgs)
		used, got, err := cc.c.Decode(buf)
		if err != nil || used == 0 {
			t.Fatalf("%s: %v", cc.c.Name(), err)
		}
		if cap(got) != len(got) {
			t.Errorf("%s: cap(payload) = %d, len = %d", cc.c.Name(), cap(got), len(got))
		}
		if len(got) > 0 {
			p := uintptr(unsafe.Pointer(unsafe.SliceData(got)))
			lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
			if p < lo || p+uintptr(len(got)) > lo+uintptr(used) {
				t.Errorf("%s: payload does not alias the frame in buf", cc.c.Name())
			}
		}
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	for _, cc := range codecCases() {
		buf, _ := encodeAll(t, cc.c, cc.msgs)
		allocs := testing.AllocsPerRun(100, func() {
			for b := buf; len(b) > 0; {
				used, _, err := cc.c.Decode(b)
				if err != nil || used == 0 {
					panic(fmt.Sprint(cc.c.Name(), used, err))
				}
				b = b[used:]
			}
			cc.c.Decode(buf[:1]) // need more
		})
		if allocs != 0 {
			t.Errorf("%s: Decode allocates %v times per run", cc.c.Name(), allocs)
		}
	}
	// The ErrFrameTooLarge path does not allocate either.
	c := must(Uint(4, false, 10))
	tooLarge := []byte{0, 0, 1, 0}
	if allocs := testing.AllocsPerRun(100, func() { c.Decode(tooLarge) }); allocs != 0 {
		t.Errorf("ErrFrameTooLarge path allocates %v times", allocs)
	}
}

func TestEncodeAppendDoesNotAllocate(t *testing.T) {
	for _, cc := range codecCases() {
		msg := []byte(cc.msgs[len(cc.msgs)-1])
		dst := make([]byte, 0, len(msg)+64)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := cc.c.Encode(dst, msg); err != nil {
				panic(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Encode into a big enough dst allocates %v times", cc.c.Name(), allocs)
		}
	}
}

func TestSplitFunc(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.c.Name(), func(t *testing.T) {
			stream, ends := encodeAll(t, cc.c, cc.msgs)
			sc := bufio.NewScanner(io.MultiReader(bytes.NewReader(stream[:len(stream)/2]), bytes.NewReader(stream[len(stream)/2:])))
			sc.Buffer(make([]byte, 0, 16), len(stream)+1)
			sc.Split(SplitFunc(cc.c))
			var got []string
			for sc.Scan() {
				got = append(got, sc.Text())
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(cc.msgs) {
				t.Fatalf("got %d messages, want %d", len(got), len(cc.msgs))
			}
			for i := range got {
				if got[i] != cc.msgs[i] {
					t.Fatalf("message %d = %.20q, want %.20q", i, got[i], cc.msgs[i])
				}
			}
			// A truncated stream ends in io.ErrUnexpectedEOF.
			if frameLen(ends, len(ends)-1) < 2 {
				return // cutting a byte leaves whole frames
			}
			sc = bufio.NewScanner(bytes.NewReader(stream[:len(stream)-1]))
			sc.Buffer(nil, len(stream)+1)
			sc.Split(SplitFunc(cc.c))
			for sc.Scan() {
			}
			if sc.Err() != io.ErrUnexpectedEOF {
				t.Fatalf("truncated: err = %v", sc.Err())
			}
		})
	}
	// Errors pass through.
	sc := bufio.NewScanner(strings.NewReader("-1:x,"))
	sc.Split(SplitFunc(Netstring(0)))
	if sc.Scan() || sc.Err() == nil || sc.Err().Error() != "bad netstring: negative length" {
		t.Fatalf("err = %v", sc.Err())
	}
}

func TestFormatError(t *testing.T) {
	e := &FormatError{Codec: "header(10)", Kind: "header", Reason: "negative length"}
	if e.Error() != "bad header: negative length" {
		t.Errorf("Error() = %q", e.Error())
	}
}

// frameLen returns the length of frame i given the frame end offsets.
func frameLen(ends []int, i int) int {
	if i == 0 {
		return ends[0]
	}
	return ends[i] - ends[i-1]
}

// TestVarintTenContinuationBytes is a regression test found by FuzzVarint
// (testdata/fuzz/FuzzVarint/regression_ten_continuation_bytes): ten 0xff
// bytes. binary.Uvarint reports them as truncated (it waits for an 11th
// byte); Decode rejects them at once, since a 10th byte with its continuation
// bit set makes the varint longer than 10 bytes whatever follows.
func TestVarintTenContinuationBytes(t *testing.T) {
	in := []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")
	if _, n := binary.Uvarint(in); n != 0 {
		t.Fatalf("binary.Uvarint n = %d, want 0", n)
	}
	used, got, err := Varint(math.MaxInt).Decode(in)
	if used != 0 || got != nil || err == nil || err.Error() != "bad varint: longer than 10 bytes" {
		t.Fatalf("Decode = %d, %q, %v", used, got, err)
	}
	if _, n := binary.Uvarint(append(in, 0)); n >= 0 {
		t.Fatalf("binary.Uvarint with an 11th byte: n = %d, want < 0", n)
	}
}
