package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Every value lands in a bucket whose middle is within 1/64 of it, and
// buckets are in order.
func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 100, 127, 128, 1000, 1 << 20, 123456789, 1 << 40, math.MaxUint64 >> 1, math.MaxUint64} {
		i := histIndex(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("%d: bucket %d (previous %d, %d buckets)", v, i, prev, histBuckets)
		}
		prev = i
		mid := histMiddle(i)
		if diff := math.Abs(float64(mid) - float64(v)); diff > float64(v)/64+0.5 {
			t.Errorf("%d: bucket %d's middle is %d", v, i, mid)
		}
	}
}

// Quantiles of random latencies agree with the sorted samples within 1.6%.
func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	var samples []time.Duration
	for range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
		samples = append(samples, d)
		h.record(d)
	}
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		exact := float64(samples[int(math.Ceil(q*float64(len(samples))))-1])
		got := float64(h.quantile(q))
		if math.Abs(got-exact) > exact*0.016 {
			t.Errorf("q%v: %v, exact %v", q, time.Duration(got), time.Duration(exact))
		}
	}
	if h.max != uint64(samples[len(samples)-1]) {
		t.Errorf("max %d, want %d", h.max, samples[len(samples)-1])
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("an empty histogram has a quantile")
	}
}

// Payloads frame under every codec, differ per connection and message,
// and give their numbers back.
func TestPayloadStamps(t *testing.T) {
	a, b := newPayload(64, 3, 100), newPayload(64, 4, 100)
	if string(a[:10]) != "0000000064" || string(a[10:16]) != "000003" || string(a[16:]) == string(b[16:]) {
		t.Fatalf("payloads %q %q", a, b)
	}
	for _, c := range a {
		if c < '!' || c > '~' {
			t.Fatalf("not printable: %q", a)
		}
	}
	restamp(a, 101)
	if conn, seq, ok := readStamp(a); !ok || conn != 3 || seq != 101 {
		t.Fatalf("readStamp: %d %d %v", conn, seq, ok)
	}
	short := newPayload(4, 1, 0x12345)
	if string(short) != "2345" {
		t.Fatalf("a 4-byte payload: %q", short)
	}
	if got := describeMismatch(3, 100, newPayload(64, 3, 100), newPayload(64, 9, 5)); got != "conn 3 seq 100: reply carries conn 9's stamp (seq 5): replies crossed between connections" {
		t.Fatal(got)
	}
}
