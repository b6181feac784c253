package framing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// ErrFrameTooLarge means a frame, announced by its header or found by its
// delimiter, is larger than the codec's maximum; from Encode, that the message
// is longer than the maximum.
var ErrFrameTooLarge = errors.New("frame too large")

// DefaultMax is the default maximum frame payload size: 1 MiB. Constructors
// use it when given a max <= 0.
const DefaultMax = 1 << 20

// Around is a Codec that frames a message without copying it: a sender
// writes the frame from where its pieces are (the bytes that go before
// the message, the message, the bytes that go after), e.g. with one
// writev. Every codec of this package but Line is an Around.
type Around interface {
	Codec
	// EncodeAround appends to dst the bytes of msg's frame other than msg
	// itself, and returns where in out msg belongs: out[:head] goes before
	// it and out[head:] after. It fails exactly as Encode does, returning
	// dst unchanged (and head = len(dst)).
	EncodeAround(dst, msg []byte) (out []byte, head int, err error)
}

// Codec frames messages on a byte stream. The codecs of this package are
// immutable and safe for concurrent use.
type Codec interface {
	// Name is a short description, e.g. "header(10)", "u32be", "line(\"\\n\")".
	Name() string

	// Encode appends the framed msg to dst and returns the extended slice.
	// It fails with ErrFrameTooLarge when msg exceeds Max, or with a
	// *FormatError when msg cannot be framed (e.g. fixed(n) given a message
	// of another length, line codec given a message containing the
	// delimiter, header width too small for the length). On error it returns
	// dst with its original length.
	Encode(dst, msg []byte) ([]byte, error)

	// Decode looks for one whole frame at the start of buf.
	//   frame found: (used > 0 bytes consumed from buf, payload, nil); payload aliases buf.
	//   need more:   (0, nil, nil)
	//   bad input:   (0, nil, err) with err ErrFrameTooLarge or a *FormatError
	// An announced length over Max is refused as soon as the header is
	// complete, before any body arrives. For delimiter codecs (line), a
	// buffer holding more than Max bytes without a delimiter is
	// ErrFrameTooLarge. See the package documentation for the full contract.
	Decode(buf []byte) (used int, msg []byte, err error)

	// Max is the maximum payload size.
	Max() int
}

// FormatError is malformed input found by Decode, or a message Encode cannot
// frame.
type FormatError struct {
	// Codec is the Name of the codec that reported the error.
	Codec string
	// Kind is what is malformed: "header" (for the Header and Uint codecs),
	// "varint", "netstring", or "message" (a message Encode cannot frame).
	Kind string
	// Reason is a short lowercase description, e.g. "negative length".
	Reason string
}

// Error returns "bad " + Kind + ": " + Reason, e.g. "bad header: negative length".
func (e *FormatError) Error() string {
	return "bad " + e.Kind + ": " + e.Reason
}

// SplitFunc adapts c to a bufio.SplitFunc for use with a bufio.Scanner. At
// EOF, a partial frame is io.ErrUnexpectedEOF. The Scanner's buffer must be
// able to hold a whole frame: see bufio.Scanner.Buffer.
func SplitFunc(c Codec) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		used, msg, err := c.Decode(data)
		if err != nil || used > 0 {
			return used, msg, err
		}
		if atEOF && len(data) > 0 {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, nil
	}
}

// normMax returns max, or DefaultMax when max <= 0.
func normMax(max int) int {
	if max <= 0 {
		return DefaultMax
	}
	return max
}

// addClamp returns a+b for non-negative a and b, clamped to math.MaxInt.
func addClamp(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// quoteByte quotes b as a Go character literal: 'x', '\t', '\x00', '\xe9'.
func quoteByte(b byte) string {
	if b < utf8.RuneSelf {
		return strconv.QuoteRune(rune(b))
	}
	return fmt.Sprintf(`'\x%02x'`, b)
}

// nonDigit is the reason for a non-digit byte b at offset i.
func nonDigit(b byte, i int) string {
	return "non-digit byte " + quoteByte(b) + " at offset " + strconv.Itoa(i)
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// addDigit returns v*10+d and true, or false when that is more than max.
func addDigit(v uint64, d byte, max uint64) (uint64, bool) {
	if v > max/10 {
		return 0, false
	}
	v = v*10 + uint64(d-'0')
	return v, v <= max
}

// payload returns buf[start:end] with its capacity clipped.
func payload(buf []byte, start, end int) []byte {
	return buf[start:end:end]
}
