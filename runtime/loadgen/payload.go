package loadgen

import (
	"fmt"
	"strconv"
)

// A generated payload is printable ASCII (so it frames under every codec,
// line included) laid out as
//
//	bytes 0..9    the sequence number, 10 hex digits (1-based, per connection)
//	bytes 10..15  the connection number, 6 hex digits (1-based)
//	bytes 16..    a pattern that differs per connection
//
// so a reply that is another message (reordered, duplicated, another
// connection's), cut short or changed anywhere is caught by one
// comparison with what was sent. Payloads under 16 bytes hold the low
// hex digits of the sequence number only.
const (
	seqDigits   = 10
	connDigits  = 6
	stampLen    = seqDigits + connDigits
	maxConnNum  = 1<<(4*connDigits) - 1
	hexDigitSet = "0123456789abcdef"
)

// fillPattern fills p with printable bytes ('!'..'~') from a xorshift
// generator seeded by the connection number.
func fillPattern(p []byte, conn int) {
	x := uint64(conn)*0xA24BAED4963EE407 + 0x9FB21C651E98DF25
	for i := range p {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p[i] = '!' + byte(x%94)
	}
}

// putHex writes v as len(p) hex digits (its low ones, zero-padded).
func putHex(p []byte, v uint64) {
	for i := len(p) - 1; i >= 0; i-- {
		p[i] = hexDigitSet[v&15]
		v >>= 4
	}
}

// newPayload is the payload of message seq on connection conn: the
// pattern, then the stamp.
func newPayload(size, conn int, seq uint64) []byte {
	p := make([]byte, size)
	fillPattern(p, conn)
	stamp(p, conn, seq)
	return p
}

// stamp writes the sequence and connection numbers into p (see above).
func stamp(p []byte, conn int, seq uint64) {
	if len(p) < stampLen {
		putHex(p, seq)
		return
	}
	putHex(p[:seqDigits], seq)
	putHex(p[seqDigits:stampLen], uint64(conn))
}

// restamp changes only the sequence number of a stamped payload: the
// connection number and pattern stay as newPayload wrote them.
func restamp(p []byte, seq uint64) {
	putHex(p[:min(len(p), seqDigits)], seq)
}

// readStamp reads the numbers back from a payload of at least stampLen
// bytes; ok is false when they are not hex digits.
func readStamp(p []byte) (conn int, seq uint64, ok bool) {
	if len(p) < stampLen {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(string(p[:seqDigits]), 16, 64)
	c, err2 := strconv.ParseUint(string(p[seqDigits:stampLen]), 16, 32)
	return int(c), s, err1 == nil && err2 == nil
}

// describeMismatch says how reply differs from want, the payload of
// message seq sent on conn: a different message (by its stamp), another
// length, or the first byte that differs.
func describeMismatch(conn int, seq uint64, want, reply []byte) string {
	at := fmt.Sprintf("conn %d seq %d: ", conn, seq)
	if len(reply) != len(want) {
		return at + fmt.Sprintf("reply is %d bytes, sent %d (%s)", len(reply), len(want), quoteShort(reply))
	}
	if c, s, ok := readStamp(reply); ok && len(want) >= stampLen {
		switch {
		case c != conn:
			return at + fmt.Sprintf("reply carries conn %d's stamp (seq %d): replies crossed between connections", c, s)
		case s != seq:
			return at + fmt.Sprintf("reply carries seq %d: reordered, lost or duplicated", s)
		}
	}
	for i := range want {
		if want[i] != reply[i] {
			return at + fmt.Sprintf("byte %d of %d is %s, sent %s", i, len(want), quoteByte(reply[i]), quoteByte(want[i]))
		}
	}
	return at + "reply differs" // not reached: the caller found a difference
}

func quoteByte(b byte) string {
	return strconv.QuoteToASCII(string([]byte{b}))
}

// quoteShort quotes the first 48 bytes of b, marking a cut.
func quoteShort(b []byte) string {
	const keep = 48
	if len(b) <= keep {
		return strconv.QuoteToASCII(string(b))
	}
	return strconv.QuoteToASCII(string(b[:keep])) + fmt.Sprintf("... (%d bytes)", len(b))
}
