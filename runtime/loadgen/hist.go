package loadgen

import (
	"math/bits"
	"time"
)

// histogram counts latencies in nanoseconds in log-linear buckets: values
// below 64 ns each have a bucket of their own; above, every power of two is
// cut into 32 equal buckets, so a bucket's width is at most 1/32 of its
// lower bound (quantiles are within 1.6% of the true value once reported
// at the bucket's middle). Fixed size: recording never allocates.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    uint64
}

const (
	histExact   = 64 // values below are exact
	histSubBits = 5  // 32 buckets per power of two
	histSub     = 1 << histSubBits
	// the largest shift is 64-6 = 58 (bits.Len64 of a uint64 is at most 64)
	histBuckets = histExact + (64-histSubBits-1)*histSub
)

// histIndex is the bucket of v.
func histIndex(v uint64) int {
	if v < histExact {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // >= 1: v>>shift is in [32, 64)
	return histExact + (shift-1)*histSub + int(v>>uint(shift)) - histSub
}

// histMiddle is the middle of bucket i's range.
func histMiddle(i int) uint64 {
	if i < histExact {
		return uint64(i)
	}
	i -= histExact
	shift := uint(i/histSub + 1)
	lo := uint64(i%histSub+histSub) << shift
	return lo + (uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[histIndex(v)]++
	h.n++
	h.max = max(h.max, v)
}

func (h *histogram) add(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the q-quantile (0 < q <= 1) in nanoseconds: the middle of the
// bucket holding the sample of rank ceil(q*n), never more than the maximum.
func (h *histogram) quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(histMiddle(i), h.max)
		}
	}
	return h.max
}
