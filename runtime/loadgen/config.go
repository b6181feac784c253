package loadgen

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"netplay/runtime/framing"
	"netplay/runtime/netio"
)

// Config is one run.
type Config struct {
	// Addr is the server, "host:port". Run does not apply the address
	// policy: call CheckAddress first.
	Addr string
	// Codec frames requests and parses replies.
	Codec framing.Codec
	// Size is the payload size of a generated message, in bytes.
	Size int
	// Conns is the number of connections, each with its own goroutine.
	Conns int
	// Pipeline is how many frames a connection writes back to back before
	// reading their replies (1: one message in flight per connection).
	Pipeline int
	// Warmup runs first, not counted.
	Warmup time.Duration
	// Duration is the measured window; Count, when > 0, replaces it: the
	// run ends after exactly Count messages (shared out among the
	// connections), however long that takes.
	Duration time.Duration
	Count    int64
	// Rate, when > 0, caps the total messages per second: each connection
	// sends on a fixed schedule (Rate/Conns messages a second), and
	// latency is measured from when a message was due, not from when it
	// could be sent, so a server falling behind shows as latency.
	Rate float64
	// Timeout bounds connecting and waiting for a reply (default 5s).
	Timeout time.Duration
	// Script, when set, makes the requests and checks the replies.
	Script *Script
	// Progress, when set, is called every ProgressEvery (default 250 ms)
	// while the run goes on, from a goroutine of its own.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Limits on a run's shape, so a typo cannot ask for terabytes.
const (
	MaxConns    = 100000
	MaxPipeline = 100000
	// maxBatchBytes bounds the request bytes all connections hold at once.
	maxBatchBytes = 1 << 30
)

const (
	defaultTimeout  = 5 * time.Second
	defaultProgress = 250 * time.Millisecond
)

// check validates c and fills in defaults.
func (c *Config) check() error {
	switch {
	case c.Addr == "":
		return errors.New("no address")
	case c.Codec == nil:
		return errors.New("no codec")
	case c.Conns < 1 || c.Conns > MaxConns:
		return fmt.Errorf("conns %d out of range 1..%d", c.Conns, MaxConns)
	case c.Pipeline < 1 || c.Pipeline > MaxPipeline:
		return fmt.Errorf("pipeline %d out of range 1..%d", c.Pipeline, MaxPipeline)
	case c.Size < 0 || c.Size > c.Codec.Max():
		return fmt.Errorf("size %d out of range 0..%d (the codec's maximum)", c.Size, c.Codec.Max())
	case c.Count < 0:
		return errors.New("count must be >= 0")
	case c.Count == 0 && c.Duration <= 0:
		return errors.New("a duration or a count is needed")
	case c.Warmup < 0:
		return errors.New("warmup must be >= 0")
	case c.Rate < 0 || c.Rate != c.Rate:
		return errors.New("rate must be >= 0")
	case c.Timeout < 0:
		return errors.New("timeout must be >= 0")
	}
	if float64(c.Conns)*float64(c.Pipeline)*float64(c.Size) > maxBatchBytes {
		return fmt.Errorf("conns x pipeline x size is over %d MiB of requests in flight", maxBatchBytes>>20)
	}
	if c.Script == nil || !c.Script.hasRequest {
		if _, err := c.Codec.Encode(nil, newPayload(c.Size, 1, 1)); err != nil {
			return fmt.Errorf("codec %s cannot frame a %d-byte payload: %v", c.Codec.Name(), c.Size, err)
		}
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = defaultProgress
	}
	return nil
}

// CodecNames are the codecs ParseCodec knows, for usage text.
const CodecNames = "header|header:W|u8|u16|u32|u64|u16le|u32le|u64le|varint|line|netstring|fixed:N"

// ParseCodec makes a codec from its command-line name (see CodecNames):
// header is the tutorial's 10-byte header (header:W another width), the
// uN codecs are big-endian binary length prefixes (uNle little-endian),
// line is "\n"-terminated and fixed:N frames of exactly N bytes. max is
// the largest payload (<= 0: framing.DefaultMax).
func ParseCodec(name string, max int) (framing.Codec, error) {
	base, param, hasParam := strings.Cut(name, ":")
	number := func() (int, error) {
		n, err := strconv.Atoi(param)
		if !hasParam || err != nil {
			return 0, fmt.Errorf("codec %s needs a number: %s:N", base, base)
		}
		return n, nil
	}
	if hasParam && base != "header" && base != "fixed" {
		return nil, fmt.Errorf("codec %s takes no parameter", base)
	}
	switch base {
	case "header":
		width := 10
		if hasParam {
			n, err := number()
			if err != nil {
				return nil, err
			}
			width = n
		}
		return framing.Header(width, max)
	case "u8":
		return framing.Uint(1, false, max)
	case "u16", "u16be", "u16le":
		return framing.Uint(2, base == "u16le", max)
	case "u32", "u32be", "u32le":
		return framing.Uint(4, base == "u32le", max)
	case "u64", "u64be", "u64le":
		return framing.Uint(8, base == "u64le", max)
	case "varint":
		return framing.Varint(max), nil
	case "line":
		return framing.Line("\n", max)
	case "netstring":
		return framing.Netstring(max), nil
	case "fixed":
		n, err := number()
		if err != nil {
			return nil, err
		}
		return framing.Fixed(n, max)
	}
	return nil, fmt.Errorf("unknown codec %q (want %s)", name, CodecNames)
}

// FixedSize is N for a fixed:N codec name, else 0.
func FixedSize(name string) int {
	if p, ok := strings.CutPrefix(name, "fixed:"); ok {
		if n, err := strconv.Atoi(p); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// ErrRemote is CheckAddress's answer for an address outside the test
// ranges (the policy lives in netio, shared with netplay replay).
var ErrRemote = netio.ErrRemote

// CheckAddress accepts "host:port" when host is "localhost" or an IP in
// 127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16 or fc00::/7. Any other
// host, a host name included (it could resolve anywhere), is ErrRemote.
func CheckAddress(addr string) error { return netio.CheckTestAddress(addr) }
