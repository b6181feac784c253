package netio

// readBuffer holds the bytes read from a connection and not yet handed to
// the script. Every receive method of a socket reads through it, so mixing
// them never loses or reorders a byte. It is allocated on first use and
// dropped when drained, so idle connections cost nothing here.
type readBuffer struct {
	buf  []byte
	r, w int
}

const (
	minReadSize  = 4 << 10  // the smallest read into the buffer
	keepCapLimit = 64 << 10 // a drained buffer larger than this is released
)

// Len is the number of buffered bytes.
func (b *readBuffer) Len() int { return b.w - b.r }

// Bytes are the buffered bytes; valid until the next fill or consume.
func (b *readBuffer) Bytes() []byte { return b.buf[b.r:b.w] }

// Consume drops the first n buffered bytes.
func (b *readBuffer) Consume(n int) {
	b.r += n
	if b.r == b.w {
		b.r, b.w = 0, 0
		if cap(b.buf) > keepCapLimit {
			b.buf = nil
		}
	}
}

// Take returns a copy of the first n buffered bytes and consumes them.
func (b *readBuffer) Take(n int) []byte {
	out := make([]byte, n)
	copy(out, b.buf[b.r:b.r+n])
	b.Consume(n)
	return out
}

// space returns a free slice at the end of the buffer to read into, at
// least minReadSize bytes or want, whichever is larger, compacting or growing
// the buffer as needed.
func (b *readBuffer) space(want int) []byte {
	if want < minReadSize {
		want = minReadSize
	}
	if cap(b.buf)-b.w >= want {
		return b.buf[b.w:cap(b.buf)]
	}
	n := b.Len()
	if b.r > 0 && cap(b.buf)-n >= want {
		copy(b.buf, b.buf[b.r:b.w])
	} else {
		size := 2 * cap(b.buf)
		if size < n+want {
			size = n + want
		}
		nb := make([]byte, size)
		copy(nb, b.buf[b.r:b.w])
		b.buf = nb
	}
	b.buf = b.buf[:cap(b.buf)]
	b.r, b.w = 0, n
	return b.buf[b.w:]
}

// commit records that n bytes were read into the slice space returned.
func (b *readBuffer) commit(n int) { b.w += n }
