package netio

import (
	"errors"
	"time"
)

// Suspending an idle receive. A task that waits for input with its whole
// interpreter on its goroutine's stack keeps an 8 KiB stack (Go shrinks a
// stack only when a quarter of it is used). A receive that must wait for
// input on a connection of the operating system's, with no deadline, and
// whose caller can start it again (nothing is consumed before a whole
// frame is there), instead returns ErrSuspended: the task unwinds its Lua
// frames, waits for the input at the bottom of its stack, then calls the
// receive again, which finds the input buffered.

// ErrSuspended is returned by a receive whose Waiter took up its
// suspension (see Suspender): the caller ends for now and is called again
// once the wait handed to Suspend has run.
var ErrSuspended = errors.New("suspended")

// Suspender is a Waiter whose caller can be suspended and called again.
type Suspender interface {
	// Suspend arranges for wait to run once the caller has unwound, and
	// for the caller to be called again after it; false when it cannot
	// (then nothing is arranged).
	Suspend(wait func()) bool
}

// idleWait is a socket's suspended receive: what it waits with and for,
// and what its wait met. Made once per socket, at its first suspension.
type idleWait struct {
	s    *Socket
	w    Waiter
	r    *realStream
	what string
	want int
	err  error // an error the wait met, for the receive called again
	fn   func()
}

// suspend hands the wait for input to w's Suspender, if w has one and
// the receive has no deadline. The caller holds the read slot, has
// written deferred output, and returns ErrSuspended when this is true.
func (s *Socket) suspend(w Waiter, r *realStream, what string, want int, deadline time.Time) bool {
	sw, ok := w.(Suspender)
	if !ok || !deadline.IsZero() {
		return false
	}
	iw := s.idle
	if iw == nil {
		iw = &idleWait{s: s}
		iw.fn = iw.wait
	}
	if !sw.Suspend(iw.fn) {
		return false
	}
	s.idle = iw
	iw.w, iw.r, iw.what, iw.want = w, r, what, want
	return true
}

// wait is the suspended receive's wait for input (with the read slot
// taken again): what it reads stays buffered for the receive called
// again, and an error it meets (not a cancellation, which that receive
// meets itself) is kept for it.
func (iw *idleWait) wait() {
	s, w := iw.s, iw.w
	iw.w = nil
	if err := s.rd.acquire(w, iw.what); err != nil {
		return // cancelled
	}
	defer s.releaseRead()
	if s.eof {
		return
	}
	p, k, err := iw.r.readWaiting(w, iw.what, time.Time{}, &s.rb, iw.want)
	if p == nil {
		if !errors.Is(err, ErrCancelled) {
			iw.err = s.failed(w, iw.what, err)
		}
		return
	}
	iw.err = s.took(w, iw.what, p, k, err)
}

// takeIdleError returns (and forgets) an error the suspended receive's
// wait met. The caller holds the read slot.
func (s *Socket) takeIdleError() error {
	if s.idle == nil || s.idle.err == nil {
		return nil
	}
	err := s.idle.err
	s.idle.err = nil
	return err
}
