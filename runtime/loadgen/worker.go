package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/framing"
)

// worker drives one connection: it writes a batch of cfg.Pipeline frames
// (or fewer, for the last of a count), reads as many replies, checks each
// and starts again. With a pipeline, a writer goroutine writes the batch
// while the worker reads, so a batch bigger than the socket buffers cannot
// deadlock against a server that answers while it reads.
type worker struct {
	r     *run
	cfg   *Config
	id    int // the connection number, 1-based
	cn    net.Conn
	codec framing.Codec
	quota int64  // messages still to count (Count mode)
	seq   uint64 // the sequence number of the last message made

	// the batch being sent
	out  []byte        // frames back to back
	ends []int         // ends[i]: where frame i ends in out
	offs []int         // generated payloads: where frame i's payload begins in out
	reqs []lua.LString // script requests of the batch
	lua  *connScript   // nil without a script
	gen  bool          // payloads are generated (not the script's request)
	wq   chan []byte   // to the writer goroutine (pipeline > 1)
	wres chan error    // its answer for each batch
	wend chan struct{} // closed when the writer goroutine has returned

	// the replies: in[rd:wr] is read and not yet decoded
	in      []byte
	rd, wr  int
	maxIn   int
	readErr error // an error that came with the last bytes read
	replies int64 // replies read on this connection

	pace        time.Duration // time between messages (Rate), 0 for none
	due         time.Time     // when the next message is due
	timer       *time.Timer
	deadlineSet time.Time // when the I/O deadline was last moved

	// counted in the measured window (read by Run after the worker ended)
	hist                 histogram
	msgs, sent, received int64
	finished             time.Time // when the quota was met

	// for the progress line, while the run goes on
	liveAll, liveCounted, liveBytes atomic.Int64
}

// readChunk is the least room a read is given before the buffer is
// compacted or grown.
const readChunk = 4096

// newWorker prepares the connection's buffers and, with a script, its Lua
// state.
func newWorker(r *run, id int, cn net.Conn) (*worker, error) {
	cfg := r.cfg
	p := cfg.Pipeline
	w := &worker{
		r: r, cfg: cfg, id: id, cn: cn, codec: cfg.Codec,
		ends:  make([]int, p),
		maxIn: cfg.Codec.Max() + 64, // room for any codec's header
		gen:   cfg.Script == nil || !cfg.Script.hasRequest,
	}
	if cfg.Script != nil {
		cs, err := cfg.Script.open()
		if err != nil {
			return nil, err
		}
		w.lua = cs
		w.reqs = make([]lua.LString, p)
	}
	frameLen := 0
	if w.gen {
		one, err := w.codec.Encode(nil, newPayload(cfg.Size, id, 1))
		if err != nil {
			w.close()
			return nil, err
		}
		frameLen = len(one)
		w.out = make([]byte, 0, p*frameLen)
		w.offs = make([]int, p)
		for i := range p {
			start := len(w.out)
			w.out, _ = w.codec.Encode(w.out, newPayload(cfg.Size, id, uint64(i+1)))
			w.ends[i] = len(w.out)
			w.offs[i] = start + payloadOffset(w.codec, w.out[start:])
		}
	}
	w.in = make([]byte, min(max(64<<10, 2*frameLen), w.maxIn))
	if cfg.Rate > 0 {
		w.pace = time.Duration(float64(time.Second) * float64(cfg.Conns) / cfg.Rate)
	}
	return w, nil
}

// payloadOffset is where the payload begins in frame (one whole frame).
func payloadOffset(c framing.Codec, frame []byte) int {
	_, msg, err := c.Decode(frame)
	if err != nil || len(msg) == 0 {
		return 0
	}
	for i := range frame {
		if &frame[i] == &msg[0] {
			return i
		}
	}
	return 0
}

// loop runs batches until the run stops, the quota is met or the
// connection fails.
func (w *worker) loop() {
	defer w.close()
	if w.cfg.Pipeline > 1 {
		w.wq, w.wres, w.wend = make(chan []byte), make(chan error, 1), make(chan struct{})
		go w.writer()
	}
	for {
		phase := w.r.phase.Load()
		if phase == phaseStop {
			return
		}
		counted := phase == phaseMeasure
		n := w.cfg.Pipeline
		if counted && w.cfg.Count > 0 {
			if w.quota == 0 {
				return
			}
			n = int(min(int64(n), w.quota))
		}
		if !w.batch(n, counted) {
			return
		}
	}
}

// writer writes the batches the worker hands it.
func (w *worker) writer() {
	defer close(w.wend)
	for b := range w.wq {
		_, err := w.cn.Write(b)
		w.wres <- err
	}
}

// close stops the writer goroutine and releases the connection and the
// Lua state.
func (w *worker) close() {
	if w.wq != nil {
		close(w.wq)
		<-w.wend
	}
	w.cn.Close()
	if w.lua != nil {
		w.lua.close()
	}
	if w.timer != nil {
		w.timer.Stop()
	}
}

// batch sends n messages and checks their replies; false when the
// connection is done for.
func (w *worker) batch(n int, counted bool) bool {
	now := time.Now()
	t0 := now
	if w.pace > 0 {
		if w.due.IsZero() {
			// spread the connections' schedules over one interval
			w.due = now.Add(w.pace * time.Duration(w.id-1) / time.Duration(w.cfg.Conns))
		}
		if wait := w.due.Sub(now); wait > 0 {
			if !w.sleep(wait) {
				return false
			}
			now = time.Now()
		}
		t0 = w.due // latency counts from when the message was due
		w.due = w.due.Add(w.pace * time.Duration(n))
	}
	first := w.seq + 1
	if !w.makeBatch(n) {
		return false
	}
	frames := w.out[:w.ends[n-1]]
	if now.Sub(w.deadlineSet) > w.cfg.Timeout/4 {
		// at least Timeout from any later moment until the next move
		w.cn.SetDeadline(now.Add(w.cfg.Timeout + w.cfg.Timeout/4))
		w.deadlineSet = now
	}
	if w.wq == nil {
		if _, err := w.cn.Write(frames); err != nil {
			w.ioFailed(err, false)
			return false
		}
	} else {
		w.wq <- frames
	}
	var received int
	for i := range n {
		msg, used, err := w.readFrame()
		if err != nil {
			if w.wq != nil {
				w.cn.Close() // unblocks the writer
				<-w.wres
			}
			w.ioFailed(err, true)
			return false
		}
		received += used
		if !w.check(i, first+uint64(i), msg) {
			if w.wq != nil {
				w.cn.Close()
				<-w.wres
			}
			return false
		}
	}
	if w.wq != nil {
		if err := <-w.wres; err != nil {
			w.ioFailed(err, false)
			return false
		}
	}
	rtt := time.Since(t0)
	w.liveAll.Add(int64(n))
	w.liveBytes.Add(int64(received))
	if counted && (w.cfg.Count > 0 || w.r.phase.Load() == phaseMeasure) {
		w.hist.record(rtt)
		w.msgs += int64(n)
		w.sent += int64(len(frames))
		w.received += int64(received)
		w.liveCounted.Add(int64(n))
		if w.cfg.Count > 0 {
			if w.quota -= int64(n); w.quota == 0 {
				w.finished = time.Now()
			}
		}
	}
	return true
}

// sleep waits d, or until the run stops (false).
func (w *worker) sleep(d time.Duration) bool {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.timer.C:
		return true
	case <-w.r.stop:
		return false
	}
}

// makeBatch puts n requests in w.out: generated payloads get their new
// sequence numbers in place; a script's requests are framed afresh.
func (w *worker) makeBatch(n int) bool {
	if w.gen {
		size := w.cfg.Size
		for i := range n {
			w.seq++
			restamp(w.out[w.offs[i]:w.offs[i]+size], w.seq)
		}
		return true
	}
	w.out = w.out[:0]
	for i := range n {
		w.seq++
		req, err := w.lua.makeRequest(w.id, w.seq)
		if err == nil {
			w.out, err = w.codec.Encode(w.out, []byte(req))
			if err != nil {
				err = fmt.Errorf("request %s cannot be framed with %s: %w", quoteShort([]byte(req)), w.codec.Name(), err)
			}
		}
		if err != nil {
			w.r.fail(w.id, fmt.Sprintf("seq %d: %v", w.seq, err), nil)
			return false
		}
		w.ends[i] = len(w.out)
		w.reqs[i] = req
	}
	return true
}

// check compares reply i of the batch (message seq) with what was sent,
// or hands it to the script's check; false when the script failed.
func (w *worker) check(i int, seq uint64, reply []byte) bool {
	var want []byte
	var req lua.LString
	if w.gen {
		want = w.out[w.offs[i] : w.offs[i]+w.cfg.Size]
	} else {
		req = w.reqs[i]
	}
	if w.lua == nil || w.lua.check == nil {
		if w.gen && !bytes.Equal(reply, want) {
			w.r.mismatch(func() string { return describeMismatch(w.id, seq, want, reply) })
		} else if !w.gen && string(reply) != string(req) {
			w.r.mismatch(func() string {
				return fmt.Sprintf("conn %d seq %d: reply %s, request %s", w.id, seq, quoteShort(reply), quoteShort([]byte(req)))
			})
		}
		return true
	}
	if w.gen {
		req = lua.LString(want)
	}
	ok, why, err := w.lua.checkReply(req, reply, w.id, seq)
	if err != nil {
		w.r.fail(w.id, fmt.Sprintf("seq %d: %v", seq, err), nil)
		return false
	}
	if !ok {
		w.r.mismatch(func() string {
			return fmt.Sprintf("conn %d seq %d: %s (request %s, reply %s)", w.id, seq, why, quoteShort([]byte(req)), quoteShort(reply))
		})
	}
	return true
}

// frameError is a reply the codec cannot parse.
type frameError struct{ err error }

func (e *frameError) Error() string { return "bad reply frame: " + e.err.Error() }
func (e *frameError) Unwrap() error { return e.err }

// readFrame returns the next reply's payload (valid until the next call)
// and the frame's length.
func (w *worker) readFrame() ([]byte, int, error) {
	for {
		if w.rd < w.wr {
			used, msg, err := w.codec.Decode(w.in[w.rd:w.wr])
			if err != nil {
				return nil, 0, &frameError{err}
			}
			if used > 0 {
				w.rd += used
				w.replies++
				return msg, used, nil
			}
		}
		if w.readErr != nil {
			return nil, 0, w.readErr
		}
		if w.rd == w.wr {
			w.rd, w.wr = 0, 0
		} else if len(w.in)-w.wr < readChunk {
			if w.rd > 0 {
				w.wr = copy(w.in, w.in[w.rd:w.wr])
				w.rd = 0
			}
			if len(w.in)-w.wr < readChunk && len(w.in) < w.maxIn {
				bigger := make([]byte, min(2*len(w.in), w.maxIn))
				copy(bigger, w.in[:w.wr])
				w.in = bigger
			}
			if w.wr == len(w.in) {
				return nil, 0, &frameError{framing.ErrFrameTooLarge}
			}
		}
		n, err := w.cn.Read(w.in[w.wr:])
		w.wr += n
		if err != nil {
			if n == 0 {
				return nil, 0, err
			}
			w.readErr = err // after the bytes that came with it
		}
	}
}

// ioFailed records why the connection ended; reading tells a failed read
// (a reply was awaited) from a failed write.
func (w *worker) ioFailed(err error, reading bool) {
	r := w.r
	var fe *frameError
	switch {
	case errors.As(err, &fe):
		r.fail(w.id, fe.Error(), nil)
	case errors.Is(err, io.EOF) && w.rd < w.wr:
		r.fail(w.id, fmt.Sprintf("the server closed the connection in the middle of a reply (%d bytes of it came)", w.wr-w.rd), &r.serverClosed)
	case errors.Is(err, io.EOF):
		r.fail(w.id, fmt.Sprintf("the server closed the connection after %d replies", w.replies), &r.serverClosed)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		r.fail(w.id, fmt.Sprintf("the server reset the connection after %d replies", w.replies), &r.serverClosed)
	case errors.Is(err, os.ErrDeadlineExceeded):
		what := "no reply"
		if !reading {
			what = "could not send"
		}
		r.fail(w.id, fmt.Sprintf("%s within %v (after %d replies)", what, w.cfg.Timeout, w.replies), &r.timeouts)
	default:
		verb := "receive"
		if !reading {
			verb = "send"
		}
		r.fail(w.id, verb+": "+errorText(err, w.cfg.Timeout), nil)
	}
}
