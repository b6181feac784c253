package netio

import "testing"

// Each pool size finds its pool, and no other size finds one.
func TestPoolFor(t *testing.T) {
	for n := minReadSize; n <= maxReadSize; n *= 2 {
		if p := poolFor(n); p == nil || p.size != n {
			t.Errorf("poolFor(%d) = %v", n, p)
		}
	}
	for _, n := range []int{0, 1, minReadSize / 2, minReadSize + 1, 3 * minReadSize, maxReadSize * 2, -minReadSize} {
		if p := poolFor(n); p != nil {
			t.Errorf("poolFor(%d) = pool of %d, want none", n, p.size)
		}
	}
}
