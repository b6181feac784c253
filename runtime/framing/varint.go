package framing

import "encoding/binary"

type varintCodec struct {
	max int
}

// Varint returns a codec whose frames are the payload length as a protobuf
// base-128 unsigned varint (the encoding of binary.AppendUvarint) followed by
// the payload. Its name is "varint". max <= 0 means DefaultMax.
//
// Decoding follows binary.Uvarint: a truncated varint is "need more"; a varint
// longer than binary.MaxVarintLen64 bytes, or whose value overflows 64 bits,
// is a *FormatError. Non-minimal encodings (e.g. 0x80 0x00 for 0) are accepted.
func Varint(max int) Codec {
	return &varintCodec{max: normMax(max)}
}

func (c *varintCodec) Name() string { return "varint" }
func (c *varintCodec) Max() int     { return c.max }

func (c *varintCodec) bad(reason string) error {
	return &FormatError{Codec: "varint", Kind: "varint", Reason: reason}
}

func (c *varintCodec) Encode(dst, msg []byte) ([]byte, error) {
	dst, _, err := c.EncodeAround(dst, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, msg...), nil
}

// EncodeAround appends msg's varint length: the message goes after it.
func (c *varintCodec) EncodeAround(dst, msg []byte) ([]byte, int, error) {
	if len(msg) > c.max {
		return dst, len(dst), ErrFrameTooLarge
	}
	dst = binary.AppendUvarint(dst, uint64(len(msg)))
	return dst, len(dst), nil
}

func (c *varintCodec) Decode(buf []byte) (int, []byte, error) {
	var v uint64
	var s uint
	max := uint64(c.max)
	for i, b := range buf {
		if i == binary.MaxVarintLen64-1 {
			if b >= 0x80 {
				return 0, nil, c.bad("longer than 10 bytes")
			}
			if b > 1 {
				return 0, nil, c.bad("overflows 64 bits")
			}
		}
		v |= uint64(b&0x7f) << s
		if v > max {
			// v only grows with more bytes.
			return 0, nil, ErrFrameTooLarge
		}
		if b < 0x80 {
			h := i + 1
			if uint64(len(buf)-h) < v {
				return 0, nil, nil
			}
			end := h + int(v)
			return end, payload(buf, h, end), nil
		}
		s += 7
	}
	return 0, nil, nil
}
