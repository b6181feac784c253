package framing

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

type uintCodec struct {
	size   int
	little bool
	max    int
	limit  uint64 // largest length the prefix can hold
	name   string
}

// Uint returns a codec whose frames are an unsigned binary length prefix of
// size bytes (1, 2, 4 or 8), big-endian unless little is true, followed by the
// payload. Its name is "u8", "u16be", "u16le", "u32be", "u32le", "u64be" or
// "u64le". max <= 0 means DefaultMax; max is not lowered to what the prefix can
// hold: Encode fails with a *FormatError for a message whose length does not
// fit in the prefix.
func Uint(size int, little bool, max int) (Codec, error) {
	c := &uintCodec{size: size, little: little, max: normMax(max)}
	switch size {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("framing: uint prefix size %d is not 1, 2, 4 or 8", size)
	}
	c.limit = math.MaxUint64 >> (64 - 8*size)
	c.name = "u" + strconv.Itoa(8*size)
	if size > 1 {
		if little {
			c.name += "le"
		} else {
			c.name += "be"
		}
	}
	return c, nil
}

func (c *uintCodec) Name() string { return c.name }
func (c *uintCodec) Max() int     { return c.max }

func (c *uintCodec) Encode(dst, msg []byte) ([]byte, error) {
	dst, _, err := c.EncodeAround(dst, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, msg...), nil
}

// EncodeAround appends msg's length prefix: the message goes after it.
func (c *uintCodec) EncodeAround(dst, msg []byte) ([]byte, int, error) {
	n := len(msg)
	if n > c.max {
		return dst, len(dst), ErrFrameTooLarge
	}
	if uint64(n) > c.limit {
		return dst, len(dst), &FormatError{Codec: c.name, Kind: "header",
			Reason: fmt.Sprintf("length %d does not fit in %d-byte prefix", n, c.size)}
	}
	switch {
	case c.size == 1:
		dst = append(dst, byte(n))
	case c.size == 2 && c.little:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
	case c.size == 2:
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	case c.size == 4 && c.little:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	case c.size == 4:
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	case c.little:
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	default:
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return dst, len(dst), nil
}

func (c *uintCodec) Decode(buf []byte) (int, []byte, error) {
	s := c.size
	if len(buf) < s {
		return 0, nil, nil
	}
	var v uint64
	switch {
	case s == 1:
		v = uint64(buf[0])
	case s == 2 && c.little:
		v = uint64(binary.LittleEndian.Uint16(buf))
	case s == 2:
		v = uint64(binary.BigEndian.Uint16(buf))
	case s == 4 && c.little:
		v = uint64(binary.LittleEndian.Uint32(buf))
	case s == 4:
		v = uint64(binary.BigEndian.Uint32(buf))
	case c.little:
		v = binary.LittleEndian.Uint64(buf)
	default:
		v = binary.BigEndian.Uint64(buf)
	}
	if v > uint64(c.max) {
		return 0, nil, ErrFrameTooLarge
	}
	if uint64(len(buf)-s) < v {
		return 0, nil, nil
	}
	end := s + int(v)
	return end, payload(buf, s, end), nil
}
