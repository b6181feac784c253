package binpack

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Value is one packed or unpacked value. Unpack produces int64 (every
// integer option, unsigned 8-byte values above math.MaxInt64 wrapped to
// negative int64 as in Lua), float64 (f, d, n) or string (s, z, c). Pack
// accepts more types; see the package documentation.
type Value = any

// Other stands for an argument of a type the format language cannot use,
// such as a Lua table. Type is the type name shown in error messages, for
// example "number expected, got table".
type Other struct {
	Type string
}

// Error is the error type returned by Pack, Unpack, PackSize and Unhex.
// Error() returns Msg, the bare message as Lua 5.3 words it.
type Error struct {
	// Arg is the 1-based Lua argument number the error is about, counted as
	// in string.pack(fmt, v1, ...) / string.unpack(fmt, s, pos) /
	// string.packsize(fmt): 1 is the format, 2 the first value for Pack or
	// the data for Unpack, 3 the initial position for Unpack. For Unhex it
	// is 1 (the input). 0 means a plain error with no argument (Lua raises
	// those with luaL_error rather than luaL_argerror).
	Arg int
	// Msg is the message, e.g. "integer overflow".
	Msg string
}

// Error returns the bare message, without argument information.
func (e *Error) Error() string { return e.Msg }

// Limits of the format language, as in Lua 5.3 on a 64-bit platform.
const (
	// MaxIntSize is the largest size of an i[n], I[n] or s[n] integer.
	MaxIntSize = 16
	// NativeAlign is the native maximum alignment, used by "!" without a
	// number.
	NativeAlign = 8
	// MaxSize is the largest result size (Lua's MAXSIZE, INT_MAX); format
	// numbers are also read only while they stay below it.
	MaxSize = math.MaxInt32
	// MaxResults is the most values one Unpack call returns (Lua's stack
	// limit, LUAI_MAXSTACK, is one million slots).
	MaxResults = 1000000
)

const nativeLittle = true

type kind uint8

const (
	kInt       kind = iota // signed integers
	kUint                  // unsigned integers
	kFloat                 // floating-point numbers
	kChar                  // fixed-length strings
	kString                // strings with prefixed length
	kZstr                  // zero-terminated strings
	kPadding               // padding
	kPaddAlign             // padding for alignment
	kNop                   // no-op (configuration or spaces)
)

// parser walks a format string the way lstrlib.c's getdetails does.
type parser struct {
	fmt      string
	pos      int
	little   bool
	maxAlign int
}

func newParser(format string) *parser {
	// Lua reads the format as a C string: it stops at the first zero byte.
	if i := strings.IndexByte(format, 0); i >= 0 {
		format = format[:i]
	}
	return &parser{fmt: format, little: nativeLittle, maxAlign: 1}
}

func (p *parser) more() bool { return p.pos < len(p.fmt) }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// getNum reads an optional decimal number, stopping (like Lua) once the
// value would no longer stay safely below MaxSize.
func (p *parser) getNum(df int) int {
	if p.pos >= len(p.fmt) || !isDigit(p.fmt[p.pos]) {
		return df
	}
	a := 0
	for {
		a = a*10 + int(p.fmt[p.pos]-'0')
		p.pos++
		if p.pos >= len(p.fmt) || !isDigit(p.fmt[p.pos]) || a > (MaxSize-9)/10 {
			return a
		}
	}
}

func (p *parser) getNumLimit(df int) (int, error) {
	sz := p.getNum(df)
	if sz > MaxIntSize || sz <= 0 {
		return 0, &Error{Msg: fmt.Sprintf("integral size (%d) out of limits [1,%d]", sz, MaxIntSize)}
	}
	return sz, nil
}

// optionChar renders a format byte as Lua's "%c" in luaL_error does.
func optionChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string([]byte{c})
	}
	return fmt.Sprintf("<\\%d>", c)
}

// getOption reads one option and returns its kind and size.
func (p *parser) getOption() (kind, int, error) {
	opt := p.fmt[p.pos]
	p.pos++
	switch opt {
	case 'b':
		return kInt, 1, nil
	case 'B':
		return kUint, 1, nil
	case 'h':
		return kInt, 2, nil
	case 'H':
		return kUint, 2, nil
	case 'l', 'j':
		return kInt, 8, nil
	case 'L', 'J', 'T':
		return kUint, 8, nil
	case 'f':
		return kFloat, 4, nil
	case 'd', 'n':
		return kFloat, 8, nil
	case 'i':
		n, err := p.getNumLimit(4)
		return kInt, n, err
	case 'I':
		n, err := p.getNumLimit(4)
		return kUint, n, err
	case 's':
		n, err := p.getNumLimit(8)
		return kString, n, err
	case 'c':
		n := p.getNum(-1)
		if n == -1 {
			return 0, 0, &Error{Msg: "missing size for format option 'c'"}
		}
		return kChar, n, nil
	case 'z':
		return kZstr, 0, nil
	case 'x':
		return kPadding, 1, nil
	case 'X':
		return kPaddAlign, 0, nil
	case ' ':
	case '<':
		p.little = true
	case '>':
		p.little = false
	case '=':
		p.little = nativeLittle
	case '!':
		n, err := p.getNumLimit(NativeAlign)
		if err != nil {
			return 0, 0, err
		}
		p.maxAlign = n
	default:
		return 0, 0, &Error{Msg: "invalid format option '" + optionChar(opt) + "'"}
	}
	return kNop, 0, nil
}

// details reads the next option and computes the padding needed before it
// when the current offset is total.
func (p *parser) details(total int64) (opt kind, size, ntoalign int, err error) {
	opt, size, err = p.getOption()
	if err != nil {
		return 0, 0, 0, err
	}
	align := size // usually, alignment follows size
	if opt == kPaddAlign {
		// 'X' gets alignment from the following option
		if !p.more() {
			return 0, 0, 0, &Error{Arg: 1, Msg: "invalid next option for option 'X'"}
		}
		next, nsize, err := p.getOption()
		if err != nil {
			return 0, 0, 0, err
		}
		if next == kChar || nsize == 0 {
			return 0, 0, 0, &Error{Arg: 1, Msg: "invalid next option for option 'X'"}
		}
		align = nsize
	}
	if align <= 1 || opt == kChar {
		return opt, size, 0, nil
	}
	if align > p.maxAlign {
		align = p.maxAlign
	}
	if align&(align-1) != 0 {
		return 0, 0, 0, &Error{Arg: 1, Msg: "format asks for alignment not power of 2"}
	}
	ntoalign = (align - int(total&int64(align-1))) & (align - 1)
	return opt, size, ntoalign, nil
}

// packInt appends the size-byte encoding of n; bytes beyond the eighth are
// 0xff when neg is set (sign extension) and zero otherwise.
func packInt(out []byte, n uint64, little bool, size int, neg bool) []byte {
	start := len(out)
	for i := 0; i < size; i++ {
		out = append(out, 0)
	}
	buf := out[start:]
	for i := 0; i < size; i++ {
		var b byte
		switch {
		case i < 8:
			b = byte(n >> (8 * i))
		case neg:
			b = 0xff
		}
		if little {
			buf[i] = b
		} else {
			buf[size-1-i] = b
		}
	}
	return out
}

// unpackInt decodes a size-byte integer from the start of data, which holds
// at least size bytes.
func unpackInt(data []byte, little bool, size int, signed bool) (int64, error) {
	at := func(i int) byte {
		if little {
			return data[i]
		}
		return data[size-1-i]
	}
	limit := min(size, 8)
	var res uint64
	for i := limit - 1; i >= 0; i-- {
		res = res<<8 | uint64(at(i))
	}
	if size < 8 {
		if signed {
			mask := uint64(1) << (size*8 - 1)
			res = (res ^ mask) - mask // sign extension
		}
	} else if size > 8 {
		var ext byte
		if signed && int64(res) < 0 {
			ext = 0xff
		}
		for i := limit; i < size; i++ {
			if at(i) != ext {
				return 0, &Error{Msg: fmt.Sprintf("%d-byte integer does not fit into Lua Integer", size)}
			}
		}
	}
	return int64(res), nil
}

func putFloat(out []byte, f float64, little bool, size int) []byte {
	var bits uint64
	if size == 4 {
		bits = uint64(math.Float32bits(float32(f)))
	} else {
		bits = math.Float64bits(f)
	}
	return packInt(out, bits, little, size, false)
}

func getFloat(data []byte, little bool, size int) float64 {
	var bits uint64
	for i := size - 1; i >= 0; i-- {
		b := data[i]
		if !little {
			b = data[size-1-i]
		}
		bits = bits<<8 | uint64(b)
	}
	if size == 4 {
		return float64(math.Float32frombits(uint32(bits)))
	}
	return math.Float64frombits(bits)
}

// Pack encodes args according to format, like Lua 5.3's string.pack.
//
// Integer options take any Go integer type, a float64/float32 with an exact
// integer value (otherwise "number has no integer representation") or a
// numeric string; float options take any number or a numeric string; s, z
// and c take a string, a []byte or a number. Extra arguments are ignored.
// A missing argument reads as nil, as in Lua 5.3 ("number expected, got
// nil"). Errors are *Error; their Arg counts the format as 1 and args[0]
// as 2. The error reported is the one Lua reports: the first one met while
// going through the format from left to right.
func Pack(format string, args ...Value) ([]byte, error) {
	return PackLimit(format, MaxSize, args...)
}

// ErrTooLarge is what PackLimit returns for a result over its limit.
var ErrTooLarge = errors.New("result too large")

// PackLimit is Pack refusing, with ErrTooLarge and before it allocates, a
// result longer than limit bytes (the host's bound on one allocation).
func PackLimit(format string, limit int, args ...Value) ([]byte, error) {
	// A first pass checks everything and sizes the result, so that a
	// failing call allocates nothing big and a good one allocates once.
	size, err := pack(format, args, nil)
	if err != nil {
		return nil, err
	}
	if size > limit {
		return nil, ErrTooLarge
	}
	out := make([]byte, 0, size)
	if _, err := pack(format, args, &out); err != nil {
		return nil, err // cannot happen: the first pass saw the same input
	}
	return out, nil
}

// pack runs str_pack. It only measures the result when out is nil, and
// appends the result to *out otherwise.
func pack(format string, args []Value, out *[]byte) (int, error) {
	p := newParser(format)
	var total int64 // bytes produced so far
	grow := func(n int64) error {
		if total+n > MaxSize {
			return &Error{Arg: 1, Msg: "format result too large"}
		}
		total += n
		return nil
	}
	zeros := func(n int) {
		if out != nil && n > 0 {
			l := len(*out)
			*out = slices.Grow(*out, n)[:l+n]
			clear((*out)[l:])
		}
	}
	arg := 1 // Lua argument number of the current value
	for p.more() {
		opt, size, ntoalign, err := p.details(total)
		if err != nil {
			return 0, err
		}
		if err := grow(int64(ntoalign) + int64(size)); err != nil {
			return 0, err
		}
		zeros(ntoalign)
		arg++
		switch opt {
		case kInt:
			n, err := checkInteger(args, arg)
			if err != nil {
				return 0, err
			}
			if size < 8 {
				lim := int64(1) << (size*8 - 1)
				if n < -lim || n >= lim {
					return 0, &Error{Arg: arg, Msg: "integer overflow"}
				}
			}
			if out != nil {
				*out = packInt(*out, uint64(n), p.little, size, n < 0)
			}
		case kUint:
			n, err := checkInteger(args, arg)
			if err != nil {
				return 0, err
			}
			if size < 8 && uint64(n) >= uint64(1)<<(size*8) {
				return 0, &Error{Arg: arg, Msg: "unsigned overflow"}
			}
			if out != nil {
				*out = packInt(*out, uint64(n), p.little, size, false)
			}
		case kFloat:
			f, err := checkNumber(args, arg)
			if err != nil {
				return 0, err
			}
			if out != nil {
				*out = putFloat(*out, f, p.little, size)
			}
		case kChar:
			s, err := checkString(args, arg)
			if err != nil {
				return 0, err
			}
			if len(s) > size {
				return 0, &Error{Arg: arg, Msg: "string longer than given size"}
			}
			if out != nil {
				*out = append(*out, s...)
			}
			zeros(size - len(s))
		case kString:
			s, err := checkString(args, arg)
			if err != nil {
				return 0, err
			}
			if size < 8 && uint64(len(s)) >= uint64(1)<<(size*8) {
				return 0, &Error{Arg: arg, Msg: "string length does not fit in given size"}
			}
			if err := grow(int64(len(s))); err != nil {
				return 0, err
			}
			if out != nil {
				*out = packInt(*out, uint64(len(s)), p.little, size, false)
				*out = append(*out, s...)
			}
		case kZstr:
			s, err := checkString(args, arg)
			if err != nil {
				return 0, err
			}
			if strings.IndexByte(s, 0) >= 0 {
				return 0, &Error{Arg: arg, Msg: "string contains zeros"}
			}
			if err := grow(int64(len(s)) + 1); err != nil {
				return 0, err
			}
			if out != nil {
				*out = append(*out, s...)
				*out = append(*out, 0)
			}
		case kPadding:
			zeros(1)
			arg--
		case kPaddAlign, kNop:
			arg--
		}
	}
	return int(total), nil
}

// Unpack decodes data according to format starting at byte offset pos
// (0-based), like Lua 5.3's string.unpack. It returns the values and the
// offset just after the last byte read (Lua returns that plus one).
// pos must be within 0..len(data), else "initial position out of string"
// (Arg 3). Alignment is computed relative to the start of data.
//
// Integers come back as int64: unsigned 8-byte (and wider) values above
// math.MaxInt64 are wrapped to negative int64, exactly as Lua does. Floats
// come back as float64 and strings as string. Errors are *Error.
func Unpack(format string, data []byte, pos int) ([]Value, int, error) {
	if pos < 0 || pos > len(data) {
		return nil, 0, &Error{Arg: 3, Msg: "initial position out of string"}
	}
	p := newParser(format)
	var vals []Value
	for p.more() {
		opt, size, ntoalign, err := p.details(int64(pos))
		if err != nil {
			return nil, 0, err
		}
		if ntoalign+size > len(data)-pos {
			return nil, 0, &Error{Arg: 2, Msg: "data string too short"}
		}
		pos += ntoalign
		switch opt {
		case kPadding, kPaddAlign, kNop:
		default:
			if len(vals) >= MaxResults {
				return nil, 0, &Error{Msg: "too many results"}
			}
		}
		switch opt {
		case kInt, kUint:
			n, err := unpackInt(data[pos:], p.little, size, opt == kInt)
			if err != nil {
				return nil, 0, err
			}
			vals = append(vals, n)
		case kFloat:
			vals = append(vals, getFloat(data[pos:], p.little, size))
		case kChar:
			vals = append(vals, string(data[pos:pos+size]))
		case kString:
			n, err := unpackInt(data[pos:], p.little, size, false)
			if err != nil {
				return nil, 0, err
			}
			if uint64(n) > uint64(len(data)-pos-size) {
				return nil, 0, &Error{Arg: 2, Msg: "data string too short"}
			}
			start := pos + size
			vals = append(vals, string(data[start:start+int(n)]))
			pos += int(n)
		case kZstr:
			n := bytes.IndexByte(data[pos:], 0)
			if n < 0 {
				return nil, 0, &Error{Arg: 2, Msg: "unfinished string for format 'z'"}
			}
			vals = append(vals, string(data[pos:pos+n]))
			pos += n + 1
		}
		pos += size
	}
	return vals, pos, nil
}

// PackSize returns the size of a string resulting from Pack with the given
// format, like Lua 5.3's string.packsize. Formats with variable-length
// options (s, z) fail with "variable-length format"; sizes above MaxSize
// fail with "format result too large".
func PackSize(format string) (int, error) {
	p := newParser(format)
	var total int64
	for p.more() {
		opt, size, ntoalign, err := p.details(total)
		if err != nil {
			return 0, err
		}
		size += ntoalign // total space used by option
		if total > int64(MaxSize-size) {
			return 0, &Error{Arg: 1, Msg: "format result too large"}
		}
		total += int64(size)
		if opt == kString || opt == kZstr {
			return 0, &Error{Arg: 1, Msg: "variable-length format"}
		}
	}
	return int(total), nil
}

// LuaOffset converts the optional init argument of Lua's string.unpack
// (1-based, negative counts from the end of the data) to the 0-based pos
// that Unpack takes, with Lua 5.3's rules; out of range positions fail with
// "initial position out of string" (Arg 3).
func LuaOffset(init int64, dataLen int) (int, error) {
	var pos int64
	switch {
	case init >= 0:
		pos = init
	case -init > int64(dataLen):
		pos = 0
	default:
		pos = int64(dataLen) + init + 1
	}
	pos-- // to 0-based
	if pos < 0 || pos > int64(dataLen) {
		return 0, &Error{Arg: 3, Msg: "initial position out of string"}
	}
	return int(pos), nil
}
