package netio

// Faults on demand: a socket's own writes, shaped the way a real network
// might deliver them. The tutorial's lesson (a header split over two
// reads breaks the seed's client) can be shown, and tested, on loopback.
//
// A shaped stream socket hands each write to its shaper, which a worker
// (a task of the host's, so every wait follows the host's clock, virtual
// time included) delivers: cut into pieces of Split bytes, each its own
// read at the peer; Delay (and Jitter) before each; merged with the next
// write (Coalesce); the connection closed or reset once CloseAfter or
// ResetAfter bytes went out. A shaped datagram socket drops, duplicates or
// reorders what it sends. Random choices come from Seed, so a run repeats.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"netplay/runtime/wiretrace"
)

// ShapeSpec says how a socket's writes are shaped. Zero values change
// nothing; CloseAfter and ResetAfter are off when negative.
type ShapeSpec struct {
	Split      int           // cut each write into pieces of this many bytes
	Delay      time.Duration // before each piece (or write)
	Jitter     time.Duration // up to this much more, at random
	Coalesce   bool          // merge a write with the next one
	CloseAfter int64         // close (FIN) after this many bytes
	ResetAfter int64         // reset after this many bytes
	Seed       uint64        // for Jitter, Drop, Duplicate
	Drop       float64       // datagrams: the share lost
	Duplicate  float64       // datagrams: the share sent twice
	Reorder    bool          // datagrams: swap each with the next
}

// Stream reports whether the spec shapes a byte stream.
func (sp ShapeSpec) Stream() bool {
	return sp.Split > 0 || sp.Delay > 0 || sp.Jitter > 0 || sp.Coalesce || sp.CloseAfter >= 0 || sp.ResetAfter >= 0
}

// NoShape is a spec that changes nothing.
func NoShape() ShapeSpec { return ShapeSpec{CloseAfter: -1, ResetAfter: -1, Seed: 1} }

// String writes the spec as ParseShape reads it.
func (sp ShapeSpec) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"="+v) }
	if sp.Split > 0 {
		add("split", strconv.Itoa(sp.Split))
	}
	if sp.Delay > 0 {
		add("delay", strconv.FormatFloat(sp.Delay.Seconds(), 'f', -1, 64))
	}
	if sp.Jitter > 0 {
		add("jitter", strconv.FormatFloat(sp.Jitter.Seconds(), 'f', -1, 64))
	}
	if sp.Coalesce {
		add("coalesce", "true")
	}
	if sp.CloseAfter >= 0 {
		add("close_after", strconv.FormatInt(sp.CloseAfter, 10))
	}
	if sp.ResetAfter >= 0 {
		add("reset_after", strconv.FormatInt(sp.ResetAfter, 10))
	}
	if sp.Drop > 0 {
		add("drop", strconv.FormatFloat(sp.Drop, 'f', -1, 64))
	}
	if sp.Duplicate > 0 {
		add("duplicate", strconv.FormatFloat(sp.Duplicate, 'f', -1, 64))
	}
	if sp.Reorder {
		add("reorder", "true")
	}
	if sp.Seed != 1 {
		add("seed", strconv.FormatUint(sp.Seed, 10))
	}
	return strings.Join(parts, ",")
}

// SetShapeField sets one field by its Lua name from its text; the error
// names what is wrong.
func (sp *ShapeSpec) SetShapeField(key, value string) error {
	num := func() (float64, error) {
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f != f || f < 0 {
			return 0, fmt.Errorf("%s must be a number >= 0, not %q", key, value)
		}
		return f, nil
	}
	share := func() (float64, error) {
		f, err := num()
		if err == nil && f > 1 {
			err = fmt.Errorf("%s must be between 0 and 1, not %s", key, value)
		}
		return f, err
	}
	flag := func() (bool, error) {
		switch value {
		case "true", "1", "":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return false, fmt.Errorf("%s must be true or false, not %q", key, value)
	}
	var f float64
	var err error
	switch key {
	case "split":
		if f, err = num(); err == nil {
			if f < 1 || f != float64(int(f)) {
				return fmt.Errorf("split must be a whole number >= 1, not %q", value)
			}
			sp.Split = int(f)
		}
	case "delay", "jitter":
		if f, err = num(); err == nil {
			d := time.Duration(f * float64(time.Second))
			if key == "delay" {
				sp.Delay = d
			} else {
				sp.Jitter = d
			}
		}
	case "close_after", "reset_after":
		if f, err = num(); err == nil {
			if f != float64(int64(f)) {
				return fmt.Errorf("%s must be a whole number of bytes, not %q", key, value)
			}
			if key == "close_after" {
				sp.CloseAfter = int64(f)
			} else {
				sp.ResetAfter = int64(f)
			}
		}
	case "seed":
		if f, err = num(); err == nil {
			sp.Seed = uint64(f)
		}
	case "drop":
		sp.Drop, err = share()
	case "duplicate":
		sp.Duplicate, err = share()
	case "coalesce":
		sp.Coalesce, err = flag()
	case "reorder":
		sp.Reorder, err = flag()
	default:
		keys := []string{"split", "delay", "jitter", "coalesce", "close_after", "reset_after", "seed", "drop", "duplicate", "reorder"}
		sort.Strings(keys)
		return fmt.Errorf("unknown shaping %q (known: %s)", key, strings.Join(keys, ", "))
	}
	return err
}

// ParseShape reads "split=3,delay=0.01,coalesce" (the --shape flag).
func ParseShape(text string) (ShapeSpec, error) {
	sp := NoShape()
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, _ := strings.Cut(part, "=")
		if err := sp.SetShapeField(strings.TrimSpace(key), strings.TrimSpace(value)); err != nil {
			return sp, err
		}
	}
	return sp, nil
}

// shapeQueueMax bounds the bytes a shaper holds: a writer waits while it
// is full, as it would for a full send buffer.
const shapeQueueMax = 1 << 20

// pieceGap separates the pieces of a split write to a peer outside the
// process, whose reads the shaper cannot see, when no delay is set.
const pieceGap = 2 * time.Millisecond

// coalesceHold is how long a coalesced write waits for the next one when
// no delay is set.
const coalesceHold = 20 * time.Millisecond

// shaper holds a stream socket's writes until its worker delivers them.
type shaper struct {
	s    *Socket
	spec ShapeSpec
	rng  *rand.Rand

	mu       sync.Mutex
	segments [][]byte // writes not yet delivered, in order
	queued   int      // their bytes
	closing  bool     // the socket was closed: deliver what is queued, then close
	reset    bool     // ... with a reset
	done     bool     // the worker has stopped
	worker   waitList // the worker, waiting for a write
	writers  waitList // writers waiting for room
	sent     int64    // bytes delivered
	held     []byte   // datagrams: one held back (Reorder)
	err      error    // the connection ended (close_after, reset_after, a write error)
}

// Spawner starts run as a background task of the host (one that does not
// keep a run alive); the shaper's worker runs there.
type Spawner func(name string, run func(w Waiter))

// Shape shapes the socket's writes from now on. A stream socket must be
// connected; its worker starts through spawn.
func (s *Socket) Shape(spec ShapeSpec, spawn Spawner) error {
	sh := &shaper{s: s, spec: spec, rng: rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))}
	if s.typ == SOCK_DGRAM {
		s.shape.Store(sh)
		return nil
	}
	if _, err := s.stream(); err != nil {
		return err
	}
	if !spec.Stream() {
		s.shape.Store(nil)
		return nil
	}
	if old := s.shape.Swap(sh); old != nil {
		old.stop()
	}
	spawn(fmt.Sprintf("shape %s -> %s", s.LocalAddr(), s.RemoteAddr()), sh.run)
	return nil
}

// Shaped reports how the socket is shaped, if it is.
func (s *Socket) Shaped() (ShapeSpec, bool) {
	if sh := s.shape.Load(); sh != nil {
		return sh.spec, true
	}
	return ShapeSpec{}, false
}

// enqueue takes a write for the worker, waiting while the queue is full.
func (sh *shaper) enqueue(w Waiter, p []byte) (int, error) {
	for {
		sh.mu.Lock()
		switch {
		case sh.err != nil:
			err := sh.err
			sh.mu.Unlock()
			return 0, err
		case sh.done || sh.closing:
			sh.mu.Unlock()
			return 0, ErrClosed
		case sh.queued+len(p) <= shapeQueueMax || sh.queued == 0:
			sh.segments = append(sh.segments, append([]byte(nil), p...))
			sh.queued += len(p)
			sh.worker.wakeAll()
			sh.mu.Unlock()
			return len(p), nil
		}
		sh.mu.Unlock()
		if s := sh.s; s.nonBlocking() {
			return 0, ErrTimeout
		}
		err := w.Park("send (shaped)", sh.s.deadline(w), func(wake func() bool) func() {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			return sh.writers.armLocked(wake, sh.queued+len(p) <= shapeQueueMax || sh.done || sh.closing || sh.err != nil, &sh.mu)
		})
		if err != nil {
			return 0, err
		}
	}
}

// closeWhenDrained asks the worker to close (or reset) the connection
// once it has delivered what is queued; it reports false when the worker
// has stopped and the caller must close now.
func (sh *shaper) closeWhenDrained(reset bool) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.done {
		return false
	}
	sh.closing, sh.reset = true, reset
	sh.worker.wakeAll()
	sh.writers.wakeAll()
	return true
}

// stop ends the worker without delivering more (the socket was shaped
// anew).
func (sh *shaper) stop() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.done = true
	sh.segments, sh.queued = nil, 0
	sh.worker.wakeAll()
	sh.writers.wakeAll()
}

// next waits for the next chunk to deliver: one write, or under Coalesce
// a write merged with those that follow it within the hold time. ok is
// false when there is nothing more (closing, or stopped).
func (sh *shaper) next(w Waiter) (chunk []byte, ok bool) {
	for {
		sh.mu.Lock()
		if sh.done {
			sh.mu.Unlock()
			return nil, false
		}
		if len(sh.segments) > 0 {
			if sh.spec.Coalesce && len(sh.segments) == 1 && !sh.closing {
				sh.mu.Unlock()
				sh.waitForAnother(w)
				sh.mu.Lock()
			}
			chunk = sh.takeLocked()
			sh.mu.Unlock()
			return chunk, true
		}
		if sh.closing {
			sh.mu.Unlock()
			return nil, false
		}
		sh.mu.Unlock()
		if err := w.Park("shape", time.Time{}, func(wake func() bool) func() {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			return sh.worker.armLocked(wake, len(sh.segments) > 0 || sh.closing || sh.done, &sh.mu)
		}); err != nil {
			return nil, false
		}
	}
}

// waitForAnother waits up to the hold time for a second write to merge.
func (sh *shaper) waitForAnother(w Waiter) {
	hold := sh.spec.Delay
	if hold <= 0 {
		hold = coalesceHold
	}
	w.Park("shape: coalesce", w.Now().Add(hold), func(wake func() bool) func() {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		return sh.worker.armLocked(wake, len(sh.segments) > 1 || sh.closing || sh.done, &sh.mu)
	})
}

// takeLocked removes what is queued, merged under Coalesce, or the first
// write.
func (sh *shaper) takeLocked() []byte {
	var chunk []byte
	if sh.spec.Coalesce {
		for _, seg := range sh.segments {
			chunk = append(chunk, seg...)
		}
		sh.segments = nil
	} else {
		chunk = sh.segments[0]
		sh.segments = sh.segments[1:]
	}
	sh.queued -= len(chunk)
	sh.writers.wakeAll()
	return chunk
}

// run is the worker: it delivers chunks as the spec says until the socket
// closes, then closes the connection.
func (sh *shaper) run(w Waiter) {
	s := sh.s
	ctx := w.Context()
	s.shapeCtx.Store(&ctx)
	st, err := s.stream()
	if err != nil && !errors.Is(err, ErrClosed) {
		return
	}
	if st == nil {
		s.mu.Lock()
		st = s.st
		s.mu.Unlock()
	}
	defer sh.finish(st)
	for {
		chunk, ok := sh.next(w)
		if !ok {
			return
		}
		if sh.spec.Coalesce {
			s.observeShape("coalesce", chunk)
		}
		for _, piece := range sh.pieces(chunk) {
			if err := sh.deliver(w, st, piece); err != nil {
				sh.mu.Lock()
				sh.err = err
				sh.mu.Unlock()
				return
			}
		}
	}
}

// pieces cuts a chunk under Split.
func (sh *shaper) pieces(chunk []byte) [][]byte {
	n := sh.spec.Split
	if n <= 0 || len(chunk) <= n {
		return [][]byte{chunk}
	}
	var out [][]byte
	for len(chunk) > n {
		out = append(out, chunk[:n])
		chunk = chunk[n:]
	}
	return append(out, chunk)
}

// deliver writes one piece after its delay, ending the connection when it
// reaches CloseAfter or ResetAfter, and under Split waits until the peer
// has read it, so the next piece is a read of its own.
func (sh *shaper) deliver(w Waiter, st stream, piece []byte) error {
	s := sh.s
	if d := sh.pause(); d > 0 {
		s.observeShape("delay", nil)
		if err := w.Park("shape: delay", w.Now().Add(d), noArm); err != nil && err != ErrTimeout {
			return err
		}
	}
	limit, reset := sh.spec.CloseAfter, false
	if sh.spec.ResetAfter >= 0 && (limit < 0 || sh.spec.ResetAfter < limit) {
		limit, reset = sh.spec.ResetAfter, true
	}
	last := limit >= 0 && sh.sent+int64(len(piece)) >= limit
	if last {
		piece = piece[:limit-sh.sent]
	}
	if sh.spec.Split > 0 {
		s.observeShape("split", piece)
	}
	if len(piece) > 0 {
		n, err := st.tryWrite(piece)
		if err == errWouldBlock {
			var k int
			k, err = st.waitWrite(w, time.Time{}, piece[n:])
			n += k
		}
		sh.sent += int64(n)
		if err != nil {
			return s.failed(w, "send", err)
		}
	}
	if last {
		if reset {
			s.observeShape("reset", nil)
			st.reset()
			return connReset()
		}
		s.observeShape("close", nil)
		st.closeWrite()
		return ErrClosed
	}
	if sh.spec.Split > 0 {
		return sh.separate(w, st)
	}
	return nil
}

// connReset is the error a reset connection's own writes get.
func connReset() error { return os.NewSyscallError("write", syscall.ECONNRESET) }

// noArm is a park with nothing to wake it but its deadline.
func noArm(func() bool) func() { return func() {} }

// pause is the delay before the next piece: Delay plus up to Jitter.
func (sh *shaper) pause() time.Duration {
	d := sh.spec.Delay
	if sh.spec.Jitter > 0 {
		d += time.Duration(sh.rng.Float64() * float64(sh.spec.Jitter))
	}
	return d
}

// separate waits until the peer has read what was written, so that the
// next piece is a read of its own: in-process, until its buffer is empty;
// a peer in this process, until its reads have taken every byte; a peer
// outside, a short gap (the shaper cannot see its reads).
func (sh *shaper) separate(w Waiter, st stream) error {
	switch st := st.(type) {
	case *memStream:
		return w.Park("shape: split", time.Time{}, func(wake func() bool) func() {
			out := st.out
			out.mu.Lock()
			defer out.mu.Unlock()
			return out.drained.armLocked(wake, len(out.buf) == 0 || out.gone || out.reset, &out.mu)
		})
	case *realStream:
		if peer := st.localPeer(); peer != nil {
			for peer.consumed.Load() < st.sent.Load() {
				if err := w.Park("shape: split", w.Now().Add(100*time.Microsecond), noArm); err != nil && err != ErrTimeout {
					return err
				}
				if st.localPeer() == nil {
					return nil
				}
			}
			return nil
		}
	}
	if sh.spec.Delay > 0 {
		return nil // the next piece's delay separates it
	}
	if err := w.Park("shape: split", w.Now().Add(pieceGap), noArm); err != nil && err != ErrTimeout {
		return err
	}
	return nil
}

// finish stops the worker and closes the connection if the socket was
// closed while bytes were queued.
func (sh *shaper) finish(st stream) {
	sh.mu.Lock()
	sh.done = true
	closing, reset := sh.closing, sh.reset
	sh.writers.wakeAll()
	sh.mu.Unlock()
	if closing && st != nil {
		if reset {
			st.reset()
		} else {
			st.close()
		}
	}
}

// shapeDatagram sends p to addr as the spec says: maybe not at all, maybe
// twice, maybe after the next one.
func (sh *shaper) shapeDatagram(p []byte, send func([]byte) (int, error)) (int, error) {
	sp := sh.spec
	if sp.Drop > 0 && sh.rng.Float64() < sp.Drop {
		sh.s.observeShape("drop", p)
		return len(p), nil
	}
	copies := 1
	if sp.Duplicate > 0 && sh.rng.Float64() < sp.Duplicate {
		sh.s.observeShape("duplicate", p)
		copies = 2
	}
	if sp.Reorder {
		sh.mu.Lock()
		held := sh.held
		sh.held = nil
		if held == nil {
			sh.held = append([]byte(nil), p...)
			sh.mu.Unlock()
			sh.s.observeShape("reorder", p)
			return len(p), nil
		}
		sh.mu.Unlock()
		defer send(held)
	}
	var n int
	var err error
	for range copies {
		if n, err = send(p); err != nil {
			break
		}
	}
	return n, err
}

// observeShape tells the tap what shaping did (ctx: the worker's, or nil).
func (s *Socket) observeShape(action string, p []byte) {
	s.Emit(Event{Kind: wiretrace.Shape, Out: true, Action: action, Data: p, Ctx: s.shapeCtx.Load()})
}
