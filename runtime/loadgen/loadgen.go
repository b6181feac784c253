// Package loadgen load-tests a framed request/response server: many
// connections, each writing frames made with a framing codec and checking
// every reply byte for byte, while it counts messages, bytes, errors and
// mismatches and measures latency. It is the engine of `netplay bench`.
//
// Each connection has one goroutine (and, when it pipelines, a second
// that writes while the first reads), a preallocated request batch whose
// sequence stamps are rewritten in place, and a read buffer decoded in
// place: nothing is allocated per message, so the load generator is not
// what limits a fast server.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Result is what a run measured. Its JSON form is what `netplay bench
// --json` prints.
type Result struct {
	Addr     string  `json:"addr"`
	Codec    string  `json:"codec"`      // the codec's name: "header(10)", "u16be", "line(\"\\n\")"
	Size     int     `json:"size"`       // payload bytes of a generated message
	Conns    int     `json:"conns"`      // connections asked for
	Pipeline int     `json:"pipeline"`   // frames in flight per connection
	Rate     float64 `json:"rate"`       // messages/s cap asked for (0: none)
	Count    int64   `json:"count"`      // messages asked for (0: run for duration_s)
	Script   string  `json:"script"`     // the --script file ("" for an echo)
	WarmupS  float64 `json:"warmup_s"`   // warm-up asked for, seconds
	Duration float64 `json:"duration_s"` // window asked for, seconds (0 with count)

	ElapsedS      float64 `json:"elapsed_s"`      // the measured window as it happened, seconds
	Messages      int64   `json:"messages"`       // replies received and checked in the window
	BytesSent     int64   `json:"bytes_sent"`     // framed request bytes of those messages
	BytesReceived int64   `json:"bytes_received"` // framed reply bytes of those messages
	MsgsPerSec    float64 `json:"msgs_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"` // bytes_received per second, in 10^6 bytes

	// Latency is from writing a message (a whole batch when pipelining)
	// to reading its (last) reply; with a rate, from when it was due.
	LatencyPer string  `json:"latency_per"` // "message" (pipeline 1) or "batch"
	P50us      float64 `json:"p50_us"`
	P90us      float64 `json:"p90_us"`
	P99us      float64 `json:"p99_us"`
	MaxUs      float64 `json:"max_us"`

	Errors        int64 `json:"errors"`         // connections that failed: the next three, I/O errors, bad frames, script errors
	ConnectErrors int64 `json:"connect_errors"` // connections that could not be made
	ServerClosed  int64 `json:"server_closed"`  // connections the server closed or reset during the run
	Timeouts      int64 `json:"timeouts"`       // replies that did not come within the timeout
	Mismatches    int64 `json:"mismatches"`     // replies that differ from what was expected
	// The first few of each, as one line each ("conn 3 seq 100: byte 17 ...").
	ErrorSamples    []string `json:"error_samples"`
	MismatchSamples []string `json:"mismatch_samples"`

	// ClientCPUPct is the CPU this process used in the window, in % of one
	// core, and ClientCores the cores it may use (GOMAXPROCS): near
	// 100*client_cores, the load generator and not the server may be the
	// limit.
	ClientCPUPct float64 `json:"client_cpu_pct"`
	ClientCores  int     `json:"client_cores"`

	Interrupted bool `json:"interrupted"` // the run was cancelled (Ctrl-C)
	OK          bool `json:"ok"`          // no errors, no mismatches, not interrupted
}

// Progress is a snapshot of a run going on.
type Progress struct {
	Warmup     bool          // still warming up
	Elapsed    time.Duration // since the measured window began (since the start while warming up)
	Messages   int64         // counted so far
	MsgsPerSec float64       // over the last interval
	MBPerSec   float64       // reply bytes over the last interval, 10^6 bytes/s
	Errors     int64
	Mismatches int64
}

// SampleLimit is how many errors and mismatches a Result describes.
const SampleLimit = 5

// phases of a run
const (
	phaseWarm int32 = iota
	phaseMeasure
	phaseStop
)

// run is the state the workers of one run share.
type run struct {
	cfg     *Config
	phase   atomic.Int32
	stop    chan struct{} // closed when the workers should stop
	ours    atomic.Bool   // we closed the connections: later errors are ours
	started time.Time
	// windowStart is when the measured window began (nil before)
	windowStart atomic.Pointer[time.Time]

	errors, connectErrors, serverClosed, timeouts, mismatches atomic.Int64

	mu         sync.Mutex
	errKinds   []*errKind // in order of first appearance
	mismatchAt []string
}

// errKind is one kind of error (its text without the connection number)
// and how many connections met it.
type errKind struct {
	text  string
	conn  int // the lowest-numbered connection that met it
	count int
}

// fail records that connection conn ended with err (already worded).
func (r *run) fail(conn int, text string, kind *atomic.Int64) {
	if r.ours.Load() {
		return
	}
	r.errors.Add(1)
	if kind != nil {
		kind.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.errKinds {
		if k.text == text {
			k.count++
			k.conn = min(k.conn, conn)
			return
		}
	}
	if len(r.errKinds) < SampleLimit {
		r.errKinds = append(r.errKinds, &errKind{text: text, conn: conn, count: 1})
	}
}

// mismatch records a reply that differs; describe is only called for the
// first few.
func (r *run) mismatch(describe func() string) {
	r.mismatches.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.mismatchAt) < SampleLimit {
		r.mismatchAt = append(r.mismatchAt, describe())
	}
}

// Run dials cfg.Conns connections to cfg.Addr and drives them until the
// window ends, cfg.Count messages were checked, every connection failed,
// or ctx is cancelled (then Result.Interrupted is set). The error is for
// a Config that cannot run; what goes wrong on the wire is in the Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r := &run{cfg: &cfg, stop: make(chan struct{})}
	res := newResult(&cfg)

	workers := r.dialAll(ctx)
	if ctx.Err() != nil {
		for _, w := range workers {
			w.close()
		}
		res.Interrupted = true
		r.finish(res, nil, 0)
		return res, nil
	}

	r.started = time.Now()
	var measureStart, measureEnd time.Time
	var warmC, endC <-chan time.Time
	var endTimer *time.Timer
	defer func() {
		if endTimer != nil {
			endTimer.Stop()
		}
	}()
	var cpuStart, cpuEnd time.Duration
	beginWindow := func(now time.Time) {
		measureStart = now
		cpuStart = processCPU()
		r.windowStart.Store(&now)
		r.phase.Store(phaseMeasure)
		if cfg.Count == 0 {
			endTimer = time.NewTimer(cfg.Duration)
			endC = endTimer.C
		}
	}
	if cfg.Warmup > 0 {
		r.phase.Store(phaseWarm)
		t := time.NewTimer(cfg.Warmup)
		defer t.Stop()
		warmC = t.C
	} else {
		beginWindow(r.started)
	}
	quotas := shareOut(cfg.Count, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		w.quota = quotas[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop()
		}()
	}
	allDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(allDone)
	}()
	stopProgress := r.startProgress(workers)

	stopAll := func(now time.Time) {
		if r.phase.Load() != phaseStop {
			measureEnd = now
			cpuEnd = processCPU()
			r.phase.Store(phaseStop)
			close(r.stop)
		}
	}
wait:
	for {
		select {
		case now := <-warmC:
			beginWindow(now)
		case now := <-endC:
			stopAll(now)
		case <-allDone:
			break wait
		case <-ctx.Done():
			res.Interrupted = true
			stopAll(time.Now())
			r.ours.Store(true)
			for _, w := range workers {
				w.cn.Close()
			}
			<-allDone
			break wait
		}
	}
	stopProgress()
	end := measureEnd
	if end.IsZero() { // count reached, or every connection ended
		end = time.Now()
		if cfg.Count > 0 && !measureStart.IsZero() {
			end = measureStart
			for _, w := range workers {
				if w.finished.After(end) {
					end = w.finished
				}
			}
		}
	}
	if cpuEnd == 0 {
		cpuEnd = processCPU()
	}
	var elapsed time.Duration
	if !measureStart.IsZero() {
		elapsed = end.Sub(measureStart)
	}
	r.finish(res, workers, elapsed)
	if elapsed > 0 {
		res.ClientCPUPct = 100 * float64(cpuEnd-cpuStart) / float64(elapsed)
	}
	return res, nil
}

func newResult(cfg *Config) *Result {
	res := &Result{
		Addr: cfg.Addr, Codec: cfg.Codec.Name(), Size: cfg.Size, Conns: cfg.Conns,
		Pipeline: cfg.Pipeline, Rate: cfg.Rate, Count: cfg.Count,
		WarmupS: cfg.Warmup.Seconds(), LatencyPer: "message", ClientCores: runtime.GOMAXPROCS(0),
	}
	if cfg.Count == 0 {
		res.Duration = cfg.Duration.Seconds()
	}
	if cfg.Pipeline > 1 {
		res.LatencyPer = "batch"
	}
	if cfg.Script != nil {
		res.Script = cfg.Script.name
	}
	return res
}

// finish adds up the workers' counts into res.
func (r *run) finish(res *Result, workers []*worker, elapsed time.Duration) {
	var h histogram
	for _, w := range workers {
		h.add(&w.hist)
		res.Messages += w.msgs
		res.BytesSent += w.sent
		res.BytesReceived += w.received
	}
	res.ElapsedS = elapsed.Seconds()
	if elapsed > 0 {
		res.MsgsPerSec = float64(res.Messages) / elapsed.Seconds()
		res.MBPerSec = float64(res.BytesReceived) / elapsed.Seconds() / 1e6
	}
	us := func(ns uint64) float64 { return float64(ns) / 1e3 }
	res.P50us, res.P90us, res.P99us, res.MaxUs = us(h.quantile(0.5)), us(h.quantile(0.9)), us(h.quantile(0.99)), us(h.max)
	res.Errors = r.errors.Load()
	res.ConnectErrors = r.connectErrors.Load()
	res.ServerClosed = r.serverClosed.Load()
	res.Timeouts = r.timeouts.Load()
	res.Mismatches = r.mismatches.Load()
	r.mu.Lock()
	res.ErrorSamples = []string{}
	for _, k := range r.errKinds {
		s := fmt.Sprintf("conn %d: %s", k.conn, k.text)
		if k.count > 1 {
			s += fmt.Sprintf(" (%d connections)", k.count)
		}
		res.ErrorSamples = append(res.ErrorSamples, s)
	}
	res.MismatchSamples = append([]string{}, r.mismatchAt...)
	r.mu.Unlock()
	res.OK = res.Errors == 0 && res.Mismatches == 0 && !res.Interrupted
}

// shareOut splits count messages among n connections, the first ones
// taking one more when it does not divide.
func shareOut(count int64, n int) []int64 {
	q := make([]int64, n)
	if n == 0 {
		return q
	}
	for i := range q {
		q[i] = count / int64(n)
		if int64(i) < count%int64(n) {
			q[i]++
		}
	}
	return q
}

// dialParallel bounds the connections being made at once.
const dialParallel = 64

// dialAll connects every connection (at most dialParallel at a time) and
// returns a worker for each that connected.
func (r *run) dialAll(ctx context.Context) []*worker {
	cfg := r.cfg
	slots := make([]*worker, cfg.Conns)
	sem := make(chan struct{}, dialParallel)
	d := net.Dialer{Timeout: cfg.Timeout}
	var wg sync.WaitGroup
	for i := range slots {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			id := i + 1
			cn, err := d.DialContext(ctx, "tcp", cfg.Addr)
			if err != nil {
				if ctx.Err() == nil {
					r.fail(id, "connect: "+errorText(err, cfg.Timeout), &r.connectErrors)
				}
				return
			}
			w, err := newWorker(r, id, cn)
			if err != nil {
				cn.Close()
				r.fail(id, err.Error(), nil)
				return
			}
			slots[i] = w
		}()
	}
	wg.Wait()
	workers := slots[:0]
	for _, w := range slots {
		if w != nil {
			workers = append(workers, w)
		}
	}
	return workers
}

// startProgress calls cfg.Progress every cfg.ProgressEvery until the
// returned function is called (which waits for the goroutine to end).
func (r *run) startProgress(workers []*worker) func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(r.cfg.ProgressEvery)
		defer tick.Stop()
		var lastAll, lastBytes int64
		last := r.started
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				var p Progress
				var all, bytes int64
				for _, w := range workers {
					all += w.liveAll.Load()
					bytes += w.liveBytes.Load()
					p.Messages += w.liveCounted.Load()
				}
				p.Elapsed = now.Sub(r.started)
				if ws := r.windowStart.Load(); ws != nil {
					p.Elapsed = now.Sub(*ws)
				} else {
					p.Warmup = true
				}
				if dt := now.Sub(last).Seconds(); dt > 0 {
					p.MsgsPerSec = float64(all-lastAll) / dt
					p.MBPerSec = float64(bytes-lastBytes) / dt / 1e6
				}
				lastAll, lastBytes, last = all, bytes, now
				p.Errors, p.Mismatches = r.errors.Load(), r.mismatches.Load()
				r.cfg.Progress(p)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// errorText words an I/O error for a report: short, without the
// addresses every connection shares.
func errorText(err error, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		return "the server closed the connection"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection in the middle of a reply"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe: the server closed the connection"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %v", timeout)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
