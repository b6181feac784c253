package netio

import (
	"errors"
	"math/bits"
	"sync"
	"sync/atomic"
)

// ErrBudget: the host's budget for buffered input is spent; the connection
// asking for more gets it, the others go on.
var ErrBudget = errors.New("memory budget exceeded")

// Budget bounds the bytes all of a host's sockets hold in their read
// buffers (--max-buffered): 1,000 peers each sending most of a large frame
// must not take the process's memory.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Used is how many bytes the buffers hold now.
func (b *Budget) Used() int64 { return b.used.Load() }

// reserve takes n bytes from the budget, or reports that they are not
// there. Only a connection's first storage (minReadSize, from empty) may
// use the last eighth of the budget: partial frames held open by a flood
// can spend the rest, but a new client can still read its first request.
func (b *Budget) reserve(n int, first bool) bool {
	if b == nil {
		return true
	}
	limit := b.max
	if !first {
		limit -= b.max / 8
	}
	if b.used.Add(int64(n)) > limit {
		b.used.Add(-int64(n))
		return false
	}
	return true
}

// give returns n bytes to the budget.
func (b *Budget) give(n int) {
	if b != nil {
		b.used.Add(-int64(n))
	}
}

// readBuffer holds the bytes read from a connection and not yet handed to
// the script. Every receive method of a socket reads through it, so mixing
// them never loses or reorders a byte.
//
// Its storage comes from a pool, sized to what arrives: a read that fills
// the space it was given makes the next one twice as large (up to
// maxReadSize), and a drained buffer goes back to the pool, so an idle
// connection holds no buffer at all.
type readBuffer struct {
	buf    []byte
	r, w   int
	size   int     // the next read's size
	budget *Budget // nil: none
}

const (
	minReadSize = 4 << 10   // the smallest read into the buffer
	maxReadSize = 256 << 10 // the largest
)

// pools hold free storage by size: 4, 8, 16, ... 256 KiB (poolFor finds
// a size's; a map lookup cost a few per cent of a ping-pong's CPU).
var pools = func() []*freeList {
	var ls []*freeList
	for n := minReadSize; n <= maxReadSize; n *= 2 {
		ls = append(ls, &freeList{size: n, max: max(8, poolBytes/n)})
	}
	return ls
}()

// poolFor returns the pool of storage of exactly n bytes, or nil.
func poolFor(n int) *freeList {
	if n < minReadSize || n > maxReadSize || n&(n-1) != 0 {
		return nil
	}
	return pools[bits.TrailingZeros(uint(n))-bits.TrailingZeros(uint(minReadSize))]
}

// poolBytes bounds the free storage each size keeps (7 sizes: 14 MiB at
// most in all).
const poolBytes = 2 << 20

// freeList keeps up to max free buffers of one size. Unlike a sync.Pool
// it survives garbage collections: a busy server, whose buffers drain and
// fill many times a second, would otherwise allocate and zero a large
// buffer after every collection.
type freeList struct {
	mu   sync.Mutex
	size int
	max  int
	free [][]byte
}

func (l *freeList) get() []byte {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return b
	}
	l.mu.Unlock()
	return make([]byte, l.size)
}

func (l *freeList) put(b []byte) {
	l.mu.Lock()
	if len(l.free) < l.max {
		l.free = append(l.free, b[:cap(b)])
	}
	l.mu.Unlock()
}

// getStorage returns pooled storage of at least n bytes (exactly n when n
// is a pool size).
func getStorage(n int) []byte {
	if p := poolFor(n); p != nil {
		return p.get()
	}
	return make([]byte, n)
}

// putStorage returns storage to its pool (other sizes are dropped).
func putStorage(b []byte) {
	if p := poolFor(cap(b)); p != nil {
		p.put(b)
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

// releaseIfEmpty gives the storage back when nothing is buffered (a read
// that found nothing must not leave an idle connection holding it).
func (b *readBuffer) releaseIfEmpty() {
	if b.Len() == 0 {
		b.release()
	}
}

// release gives the storage back to its pool.
func (b *readBuffer) release() {
	if b.buf != nil {
		b.budget.give(cap(b.buf))
		putStorage(b.buf)
	}
	b.buf, b.r, b.w = nil, 0, 0
}

// replaceStorage moves the buffered bytes to storage for n bytes, from
// the pool, charging the budget the difference (ErrBudget when it is
// spent; the buffer is then unchanged).
func (b *readBuffer) replaceStorage(n, front int) error {
	size := sizeFor(n)
	first := b.buf == nil && size == minReadSize
	if !b.budget.reserve(size-cap(b.buf), first) {
		return ErrBudget
	}
	nb := getStorage(size)[:size]
	copy(nb[front:], b.Bytes())
	if b.buf != nil {
		putStorage(b.buf)
	}
	rest := b.Len()
	b.buf, b.r, b.w = nb, 0, front+rest
	return nil
}

// Take returns a copy of the first n buffered bytes and consumes them.
func (b *readBuffer) Take(n int) []byte {
	out := make([]byte, n)
	copy(out, b.buf[b.r:b.r+n])
	b.Consume(n)
	return out
}

// Unread puts p back in front of the buffered bytes.
func (b *readBuffer) Unread(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if b.r >= len(p) {
		b.r -= len(p)
		copy(b.buf[b.r:], p)
		return nil
	}
	if err := b.replaceStorage(len(p)+b.Len(), len(p)); err != nil {
		return err
	}
	copy(b.buf, p)
	return nil
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
// least need bytes, and the adaptive read size where that fits,
// compacting or moving to larger storage as needed. Storage stays within
// the pool's sizes (256 KiB) unless what must be buffered is larger; past
// that it grows by what arrives, never doubling. New storage comes out of
// the budget (ErrBudget when it is spent).
func (b *readBuffer) space(need int) ([]byte, error) {
	if b.size < minReadSize {
		b.size = minReadSize
	}
	want := max(need, b.size)
	if b.buf != nil && len(b.buf)-b.w >= want {
		return b.buf[b.w:], nil
	}
	n := b.Len()
	if free := len(b.buf) - n; b.buf != nil && (free >= want || len(b.buf) >= maxReadSize && free >= need) {
		if b.r > 0 {
			copy(b.buf, b.buf[b.r:b.w])
			b.r, b.w = 0, n
		}
		return b.buf[b.w:], nil
	}
	size := n + want
	if n+need <= maxReadSize {
		size = min(size, maxReadSize)
	}
	err := b.replaceStorage(size, 0)
	if errors.Is(err, ErrBudget) && b.buf == nil && want > minReadSize {
		// An empty buffer asks for its adaptive size; the first 4 KiB
		// will do when the budget is short.
		b.size = minReadSize
		err = b.replaceStorage(minReadSize, 0)
	}
	if err != nil {
		return nil, err
	}
	return b.buf[b.w:], nil
}

// commit records that n bytes were read into a slice of length offered
// that space returned, and adapts the next read's size: a read that
// filled its space doubles it; when what is buffered is under a quarter
// of it, it halves.
func (b *readBuffer) commit(n, offered int) {
	b.w += n
	switch {
	case n == offered && b.size < maxReadSize:
		b.size *= 2
	case b.Len() < b.size/4 && b.size > minReadSize:
		// What is buffered, not this read: the short read that ends a
		// message (4096 + 10 bytes of a 4106-byte frame) must not undo
		// the doubling the long one made.
		b.size /= 2
	}
	if b.Len() == 0 {
		b.release()
	}
}
