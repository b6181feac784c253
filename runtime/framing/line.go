package framing

import (
	"bytes"
	"errors"
	"strconv"
)

type lineCodec struct {
	delim []byte
	crlf  bool // delim is "\n": strip a preceding '\r'
	max   int
	limit int // longest possible frame: max + len(delim) (+1 for the '\r')
	name  string
}

// Line returns a codec whose frames are the payload followed by delim, which
// must not be empty. Its name is "line(" + strconv.Quote(delim) + ")", e.g.
// `line("\n")`. max <= 0 means DefaultMax.
//
// Decode strips the delimiter; when delim is "\n" it also strips a preceding
// '\r', so both "\n" and "\r\n" line endings are read. The payload (after
// stripping) may be at most max bytes: Decode reports ErrFrameTooLarge when it
// finds a longer one, and as soon as the buffer holds max + len(delim) bytes
// (one more for "\n") with no delimiter, as no frame within the maximum can
// then end.
//
// Encode appends msg and delim. A message that would not decode back
// unchanged is a *FormatError: one that contains delim, whose end together
// with delim contains an earlier delim (e.g. "xa" with delimiter "aa"), or,
// when delim is "\n", that ends with '\r'.
func Line(delim string, max int) (Codec, error) {
	if delim == "" {
		return nil, errors.New("framing: empty line delimiter")
	}
	c := &lineCodec{
		delim: []byte(delim),
		crlf:  delim == "\n",
		max:   normMax(max),
		name:  "line(" + strconv.Quote(delim) + ")",
	}
	c.limit = addClamp(c.max, len(delim))
	if c.crlf {
		c.limit = addClamp(c.limit, 1)
	}
	return c, nil
}

func (c *lineCodec) Name() string { return c.name }
func (c *lineCodec) Max() int     { return c.max }

func (c *lineCodec) bad(reason string) error {
	return &FormatError{Codec: c.name, Kind: "message", Reason: reason}
}

func (c *lineCodec) Encode(dst, msg []byte) ([]byte, error) {
	n := len(msg)
	if n > c.max {
		return dst, ErrFrameTooLarge
	}
	start := len(dst)
	dst = append(dst, msg...)
	dst = append(dst, c.delim...)
	if i := bytes.Index(dst[start:], c.delim); i != n {
		if i+len(c.delim) <= n {
			return dst[:start], c.bad("contains delimiter " + strconv.Quote(string(c.delim)))
		}
		return dst[:start], c.bad("end overlaps delimiter " + strconv.Quote(string(c.delim)))
	}
	if c.crlf && n > 0 && msg[n-1] == '\r' {
		return dst[:start], c.bad(`ends with '\r'`)
	}
	return dst, nil
}

func (c *lineCodec) Decode(buf []byte) (int, []byte, error) {
	window := buf
	if len(window) > c.limit {
		window = window[:c.limit]
	}
	i := bytes.Index(window, c.delim)
	if i < 0 {
		if len(buf) >= c.limit {
			return 0, nil, ErrFrameTooLarge
		}
		return 0, nil, nil
	}
	used := i + len(c.delim)
	if c.crlf && i > 0 && buf[i-1] == '\r' {
		i--
	}
	if i > c.max {
		return 0, nil, ErrFrameTooLarge
	}
	return used, payload(buf, 0, i), nil
}
