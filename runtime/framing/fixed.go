package framing

import (
	"fmt"
	"strconv"
)

type fixedCodec struct {
	n    int
	max  int
	name string
}

// Fixed returns a codec whose frames are exactly n bytes of payload, with no
// header. Its name is "fixed(n)". max <= 0 means DefaultMax; n must be 1..max.
// Encode fails with a *FormatError for a message of another length. Decode
// never fails.
func Fixed(n, max int) (Codec, error) {
	max = normMax(max)
	if n < 1 || n > max {
		return nil, fmt.Errorf("framing: fixed size %d out of range 1..%d", n, max)
	}
	return &fixedCodec{n: n, max: max, name: "fixed(" + strconv.Itoa(n) + ")"}, nil
}

func (c *fixedCodec) Name() string { return c.name }
func (c *fixedCodec) Max() int     { return c.max }

func (c *fixedCodec) Encode(dst, msg []byte) ([]byte, error) {
	dst, _, err := c.EncodeAround(dst, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, msg...), nil
}

// EncodeAround checks msg's length: a fixed frame is the message alone.
func (c *fixedCodec) EncodeAround(dst, msg []byte) ([]byte, int, error) {
	if len(msg) > c.max {
		return dst, len(dst), ErrFrameTooLarge
	}
	if len(msg) != c.n {
		return dst, len(dst), &FormatError{Codec: c.name, Kind: "message",
			Reason: fmt.Sprintf("length %d, want %d", len(msg), c.n)}
	}
	return dst, len(dst), nil
}

func (c *fixedCodec) Decode(buf []byte) (int, []byte, error) {
	if len(buf) < c.n {
		return 0, nil, nil
	}
	return c.n, payload(buf, 0, c.n), nil
}
