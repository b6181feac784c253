package framing

import "strconv"

type netstringCodec struct {
	max int
}

// Netstring returns a codec for D. J. Bernstein's netstrings: the payload
// length in ASCII decimal, ':', the payload, ',' — "5:hello,", "0:,". Its name
// is "netstring". max <= 0 means DefaultMax.
//
// Decoding is strict: the length is one or more digits with no leading zero
// (except "0" itself), and the payload must be followed by ','.
func Netstring(max int) Codec {
	return &netstringCodec{max: normMax(max)}
}

func (c *netstringCodec) Name() string { return "netstring" }
func (c *netstringCodec) Max() int     { return c.max }

func (c *netstringCodec) bad(reason string) error {
	return &FormatError{Codec: "netstring", Kind: "netstring", Reason: reason}
}

func (c *netstringCodec) Encode(dst, msg []byte) ([]byte, error) {
	dst, head, err := c.EncodeAround(dst, msg)
	if err != nil {
		return dst, err
	}
	dst = append(dst[:head], msg...)
	return append(dst, ','), nil
}

// EncodeAround appends msg's length and ':', where the message goes, then
// the ',' that ends the frame.
func (c *netstringCodec) EncodeAround(dst, msg []byte) ([]byte, int, error) {
	if len(msg) > c.max {
		return dst, len(dst), ErrFrameTooLarge
	}
	dst = strconv.AppendUint(dst, uint64(len(msg)), 10)
	dst = append(dst, ':')
	return append(dst, ','), len(dst), nil
}

func (c *netstringCodec) Decode(buf []byte) (int, []byte, error) {
	if len(buf) == 0 {
		return 0, nil, nil
	}
	switch b := buf[0]; {
	case b == ':':
		return 0, nil, c.bad("empty length")
	case b == '-':
		return 0, nil, c.bad("negative length")
	case !isDigit(b):
		return 0, nil, c.bad(nonDigit(b, 0))
	case b == '0' && len(buf) > 1 && isDigit(buf[1]):
		return 0, nil, c.bad("leading zero")
	}
	var v uint64
	var ok bool
	i := 0
	for ; i < len(buf); i++ {
		b := buf[i]
		if b == ':' {
			break
		}
		if !isDigit(b) {
			return 0, nil, c.bad(nonDigit(b, i))
		}
		if v, ok = addDigit(v, b, uint64(c.max)); !ok {
			return 0, nil, ErrFrameTooLarge
		}
	}
	h := i + 1 // header length, with the ':'
	if h > len(buf) || uint64(len(buf)-h) <= v {
		return 0, nil, nil
	}
	end := h + int(v)
	if buf[end] != ',' {
		return 0, nil, c.bad("missing ','")
	}
	return end + 1, payload(buf, h, end), nil
}
