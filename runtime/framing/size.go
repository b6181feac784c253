package framing

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
)

// FrameSize says, for the frame that buf starts with, how many bytes its
// header, body and trailer take, as far as buf tells: ok is true once all
// three are known; a size not known yet is -1. The wire trace uses it to
// show how far each frame has come as chunks arrive ("frame 1: header
// 10/10, body 6/22"). Bad input reports ok false.
func FrameSize(c Codec, buf []byte) (header, body, trailer int, ok bool) {
	switch c := c.(type) {
	case *headerCodec:
		return c.frameSize(buf)
	case *uintCodec:
		return c.frameSize(buf)
	case *varintCodec:
		return c.frameSize(buf)
	case *netstringCodec:
		return c.frameSize(buf)
	case *lineCodec:
		return c.frameSize(buf)
	case *fixedCodec:
		return 0, c.n, 0, true
	}
	return -1, -1, 0, false
}

func (c *headerCodec) frameSize(buf []byte) (int, int, int, bool) {
	if len(buf) < c.width {
		return c.width, -1, 0, false
	}
	v, err := strconv.Atoi(strings.TrimRight(string(buf[:c.width]), " "))
	if err != nil || v < 0 {
		return c.width, -1, 0, false
	}
	return c.width, v, 0, true
}

func (c *uintCodec) frameSize(buf []byte) (int, int, int, bool) {
	if len(buf) < c.size {
		return c.size, -1, 0, false
	}
	var v uint64
	switch {
	case c.size == 1:
		v = uint64(buf[0])
	case c.size == 2 && c.little:
		v = uint64(binary.LittleEndian.Uint16(buf))
	case c.size == 2:
		v = uint64(binary.BigEndian.Uint16(buf))
	case c.size == 4 && c.little:
		v = uint64(binary.LittleEndian.Uint32(buf))
	case c.size == 4:
		v = uint64(binary.BigEndian.Uint32(buf))
	case c.little:
		v = binary.LittleEndian.Uint64(buf)
	default:
		v = binary.BigEndian.Uint64(buf)
	}
	return c.size, int(v), 0, true
}

func (c *varintCodec) frameSize(buf []byte) (int, int, int, bool) {
	v, n := binary.Uvarint(buf)
	if n <= 0 {
		return -1, -1, 0, false
	}
	return n, int(v), 0, true
}

func (c *netstringCodec) frameSize(buf []byte) (int, int, int, bool) {
	i := bytes.IndexByte(buf, ':')
	if i < 0 {
		return -1, -1, 1, false
	}
	v, err := strconv.Atoi(string(buf[:i]))
	if err != nil {
		return i + 1, -1, 1, false
	}
	return i + 1, v, 1, true
}

func (c *lineCodec) frameSize(buf []byte) (int, int, int, bool) {
	used, msg, err := c.Decode(buf)
	if err != nil || used == 0 {
		return 0, -1, len(c.delim), false
	}
	return 0, len(msg), used - len(msg), true
}
