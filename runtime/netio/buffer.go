package netio

import "sync"

// readBuffer holds the bytes read from a connection and not yet handed to
// the script. Every receive method of a socket reads through it, so mixing
// them never loses or reorders a byte.
//
// Its storage comes from a pool, sized to what arrives: a read that fills
// the space it was given makes the next one twice as large (up to
// maxReadSize), and a drained buffer goes back to the pool, so an idle
// connection holds no buffer at all.
type readBuffer struct {
	buf  []byte
	r, w int
	size int // the next read's size
}

const (
	minReadSize = 4 << 10   // the smallest read into the buffer
	maxReadSize = 256 << 10 // the largest
)

// pools hold free storage by size: 4, 8, 16, ... 256 KiB.
var pools = func() map[int]*sync.Pool {
	m := make(map[int]*sync.Pool)
	for n := minReadSize; n <= maxReadSize; n *= 2 {
		m[n] = &sync.Pool{New: func() any { b := make([]byte, n); return &b }}
	}
	return m
}()

// getStorage returns pooled storage of at least n bytes (exactly n when n
// is a pool size).
func getStorage(n int) []byte {
	if p, ok := pools[n]; ok {
		return *(p.Get().(*[]byte))
	}
	return make([]byte, n)
}

// putStorage returns storage to its pool (other sizes are dropped).
func putStorage(b []byte) {
	if p, ok := pools[cap(b)]; ok {
		b = b[:cap(b)]
		p.Put(&b)
	}
}

// Len is the number of buffered bytes.
func (b *readBuffer) Len() int { return b.w - b.r }

// Bytes are the buffered bytes; valid until the next fill or consume.
func (b *readBuffer) Bytes() []byte {
	if b.buf == nil {
		return nil
	}
	return b.buf[b.r:b.w]
}

// Consume drops the first n buffered bytes; a drained buffer is released.
func (b *readBuffer) Consume(n int) {
	b.r += n
	if b.r == b.w {
		b.release()
	}
}

// release gives the storage back to its pool.
func (b *readBuffer) release() {
	if b.buf != nil {
		putStorage(b.buf)
	}
	b.buf, b.r, b.w = nil, 0, 0
}

// Take returns a copy of the first n buffered bytes and consumes them.
func (b *readBuffer) Take(n int) []byte {
	out := make([]byte, n)
	copy(out, b.buf[b.r:b.r+n])
	b.Consume(n)
	return out
}

// Unread puts p back in front of the buffered bytes.
func (b *readBuffer) Unread(p []byte) {
	if len(p) == 0 {
		return
	}
	if b.r >= len(p) {
		b.r -= len(p)
		copy(b.buf[b.r:], p)
		return
	}
	rest := b.Len()
	nb := getStorage(sizeFor(len(p) + rest))
	copy(nb, p)
	copy(nb[len(p):], b.Bytes())
	b.release()
	b.buf, b.r, b.w = nb, 0, len(p)+rest
}

// sizeFor is the smallest pool size that holds n bytes, or n itself
// beyond the largest.
func sizeFor(n int) int {
	for s := minReadSize; s <= maxReadSize; s *= 2 {
		if s >= n {
			return s
		}
	}
	return n
}

// space returns a free slice at the end of the buffer to read into: at
// least want bytes and the adaptive read size, compacting or moving to
// larger storage as needed.
func (b *readBuffer) space(want int) []byte {
	if b.size < minReadSize {
		b.size = minReadSize
	}
	if want < b.size {
		want = b.size
	}
	if b.buf != nil && len(b.buf)-b.w >= want {
		return b.buf[b.w:]
	}
	n := b.Len()
	if b.buf != nil && b.r > 0 && len(b.buf)-n >= want {
		copy(b.buf, b.buf[b.r:b.w])
		b.r, b.w = 0, n
		return b.buf[b.w:]
	}
	nb := getStorage(sizeFor(n + want))
	copy(nb, b.Bytes())
	b.release()
	b.buf, b.r, b.w = nb, 0, n
	return b.buf[b.w:]
}

// commit records that n bytes were read into a slice of length offered
// that space returned, and adapts the next read's size: a read that
// filled its space doubles it, one that used under a quarter halves it.
func (b *readBuffer) commit(n, offered int) {
	b.w += n
	switch {
	case n == offered && b.size < maxReadSize:
		b.size *= 2
	case n < offered/4 && b.size > minReadSize:
		b.size /= 2
	}
	if b.Len() == 0 {
		b.release()
	}
}
