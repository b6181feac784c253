package netio

import (
	"context"
	"time"
)

// The system calls of a realStream, and its waits in the network poller.
// Each direction keeps the state of the call under way in an ioCall, with
// the functions handed to the runtime made once when the stream is made:
// a closure per call would allocate several times for every message.

// ioCall is one direction's call under way (guarded by the socket's read
// or write slot).
type ioCall struct {
	p        []byte
	n        int
	err      error
	deadline time.Time

	// Reads take their buffer from rb only when input is there, so a
	// connection waiting for input holds none.
	rb   *readBuffer
	want int

	set     func(time.Time) error // the connection's SetReadDeadline or SetWriteDeadline
	hooked  CancelHooker          // the task context whose hook is armed
	fired   bool                  // a cancellation set a deadline in the past
	stopAF  func() bool           // for a context without a hook: its AfterFunc
	firedCh chan struct{}

	once  func(fd uintptr) bool           // one system call
	until func(fd uintptr) bool           // system calls until done or would block
	body  func(ctx context.Context) error // the wait, outside the interpreter
	hook  func()                          // cancels the wait
}

// initCalls makes the functions of both directions.
func (r *realStream) initCalls() {
	r.probe = r.probeRead
	rd, wr := &r.rd, &r.wr
	rd.set, wr.set = r.c.SetReadDeadline, r.c.SetWriteDeadline
	rd.hook = func() { rd.fired = true; rd.set(aLongTimeAgo) }
	wr.hook = func() { wr.fired = true; wr.set(aLongTimeAgo) }
	rd.once = func(fd uintptr) bool {
		rd.n, rd.err = readFD(fd, rd.p)
		r.consumed.Add(int64(rd.n))
		return true
	}
	wr.once = func(fd uintptr) bool {
		wr.n, wr.err = writeFD(fd, wr.p)
		r.sent.Add(int64(wr.n))
		return true
	}
	rd.until = r.readUntil
	wr.until = r.writeUntil
	rd.body = r.readBody
	wr.body = r.writeBody
}

func (r *realStream) tryRead(p []byte) (int, error) {
	c := &r.rd
	c.p = p
	cerr := r.rc.Read(c.once)
	n, err := c.n, c.err
	c.p, c.n, c.err = nil, 0, nil
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}

func (r *realStream) tryWrite(p []byte) (int, error) {
	c := &r.wr
	c.p = p
	cerr := r.rc.Write(c.once)
	n, err := c.n, c.err
	c.p, c.n, c.err = nil, 0, nil
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}

// waitRead reads into p, waiting in the poller until something is there
// (the stream interface's; TLS and plain recv use it).
func (r *realStream) waitRead(w Waiter, what string, deadline time.Time, p []byte) (int, error) {
	c := &r.rd
	c.p, c.rb, c.deadline = p, nil, deadline
	werr := w.Outside(what, r.probe, c.body)
	n, err := c.n, c.err
	c.p, c.n, c.err = nil, 0, nil
	if werr != nil {
		return 0, werr
	}
	return n, err
}

// readWaiting waits in the poller until input is there, then reads it
// into the buffer rb gives (want bytes at least): p is that buffer's free
// slice, n what was read into it. The buffer is taken only for the read
// system calls: a connection that waits holds none.
func (r *realStream) readWaiting(w Waiter, what string, deadline time.Time, rb *readBuffer, want int) (p []byte, n int, err error) {
	c := &r.rd
	c.p, c.rb, c.want, c.deadline = nil, rb, want, deadline
	werr := w.Outside(what, r.probe, c.body)
	p, n, err = c.p, c.n, c.err
	c.p, c.n, c.err, c.rb = nil, 0, nil, nil
	if werr != nil {
		rb.releaseIfEmpty()
		return nil, 0, werr
	}
	return p, n, err
}

// readBody is the read wait, outside the interpreter.
func (r *realStream) readBody(ctx context.Context) error {
	c := &r.rd
	c.arm(ctx)
	cerr := r.rc.Read(c.until)
	c.disarm()
	r.ending.Store(false)
	if cerr != nil && c.err == nil && c.n == 0 {
		c.err = cerr
	}
	return nil
}

// readUntil is called by the poller at once and after each wake-up: it
// reads (into the buffer from rb, taken for the call), or reports that
// it would block.
func (r *realStream) readUntil(fd uintptr) bool {
	c := &r.rd
	p := c.p
	if c.rb != nil {
		var err error
		if p, err = c.rb.space(c.want); err != nil {
			c.err = err
			return true
		}
	}
	r.ending.Store(true) // a read under way: the wait is about to end
	n, err := readFD(fd, p)
	if err == errWouldBlock {
		if c.rb != nil {
			c.rb.releaseIfEmpty()
		}
		r.ending.Store(false)
		return false
	}
	r.consumed.Add(int64(n))
	c.p, c.n, c.err = p, n, err
	return true
}

func (r *realStream) waitWrite(w Waiter, deadline time.Time, p []byte) (int, error) {
	c := &r.wr
	c.p, c.n, c.err, c.deadline = p, 0, nil, deadline
	werr := w.Outside("send", nil, c.body)
	n, err := c.n, c.err
	c.p, c.n, c.err = nil, 0, nil
	if werr != nil {
		return n, werr
	}
	return n, err
}

// writeBody is the write wait, outside the interpreter.
func (r *realStream) writeBody(ctx context.Context) error {
	c := &r.wr
	c.arm(ctx)
	cerr := r.rc.Write(c.until)
	c.disarm()
	if cerr != nil && c.err == nil {
		c.err = cerr
	}
	return nil
}

// writeUntil writes what is left of p until it would block.
func (r *realStream) writeUntil(fd uintptr) bool {
	c := &r.wr
	for c.n < len(c.p) {
		k, err := writeFD(fd, c.p[c.n:])
		c.n += k
		r.sent.Add(int64(k))
		if err == errWouldBlock {
			return false
		}
		if err != nil {
			c.err = err
			return true
		}
	}
	return true
}

// arm sets the call's deadline and arranges for a cancelled ctx to end
// the wait (a deadline in the past): through a task context's hook, or
// else a context.AfterFunc.
func (c *ioCall) arm(ctx context.Context) {
	if !c.deadline.IsZero() {
		c.set(c.deadline)
	}
	if h, ok := ctx.(CancelHooker); ok {
		c.hooked = h
		if !h.SetCancelHook(c.hook) {
			c.fired = true
			c.set(aLongTimeAgo)
		}
		return
	}
	ch := make(chan struct{})
	c.firedCh = ch
	c.stopAF = context.AfterFunc(ctx, func() {
		c.set(aLongTimeAgo)
		close(ch)
	})
}

// disarm undoes arm: once it returns the cancellation can no longer fire,
// and a deadline set is cleared.
func (c *ioCall) disarm() {
	if c.hooked != nil {
		c.hooked.ClearCancelHook()
		c.hooked = nil
	} else if c.stopAF != nil {
		if !c.stopAF() {
			<-c.firedCh
			c.fired = true
		}
		c.stopAF, c.firedCh = nil, nil
	}
	if c.fired || !c.deadline.IsZero() {
		c.set(time.Time{})
	}
	c.fired = false
}
