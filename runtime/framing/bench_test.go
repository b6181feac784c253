package framing

import (
	"bytes"
	"testing"
)

var sinkLen int

// BenchmarkDecode decodes a buffer of 256 back-to-back frames per operation.
// SetBytes counts the whole buffer (headers and delimiters included); the
// ns/frame metric is the time per decoded frame.
func BenchmarkDecode(b *testing.B) {
	const frames = 256
	for _, cc := range benchCodecs {
		for _, size := range benchSizes {
			c := cc.new(size.n)
			msg := bytes.Repeat([]byte("abcdefgh"), size.n/8)
			var buf []byte
			for range frames {
				var err error
				if buf, err = c.Encode(buf, msg); err != nil {
					b.Fatal(err)
				}
			}
			b.Run(cc.name+"/"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				for b.Loop() {
					n := 0
					for rest := buf; len(rest) > 0; {
						used, msg, err := c.Decode(rest)
						if err != nil || used == 0 {
							b.Fatal(used, err)
						}
						n += len(msg)
						rest = rest[used:]
					}
					sinkLen = n
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
			})
		}
	}
}

// benchCodecs and benchSizes are what the benchmarks measure.
var (
	benchCodecs = []struct {
		name string
		new  func(size int) Codec
	}{
		{"header", func(int) Codec { return must(Header(10, 0)) }},
		{"u32be", func(int) Codec { return must(Uint(4, false, 0)) }},
		{"varint", func(int) Codec { return Varint(0) }},
		{"line", func(int) Codec { return must(Line("\n", 0)) }},
		{"netstring", func(int) Codec { return Netstring(0) }},
		{"fixed", func(size int) Codec { return must(Fixed(size, 0)) }},
	}
	benchSizes = []struct {
		name string
		n    int
	}{{"32B", 32}, {"4KiB", 4096}}
)

// BenchmarkEncode encodes one frame per operation into a reused buffer,
// as a framed send does into a socket's output buffer.
func BenchmarkEncode(b *testing.B) {
	for _, cc := range benchCodecs {
		for _, size := range benchSizes {
			c := cc.new(size.n)
			msg := bytes.Repeat([]byte("abcdefgh"), size.n/8)
			buf := make([]byte, 0, size.n+64)
			b.Run(cc.name+"/"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for b.Loop() {
					out, err := c.Encode(buf[:0], msg)
					if err != nil {
						b.Fatal(err)
					}
					sinkLen = len(out)
				}
			})
		}
	}
}
