package netio

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// WaitReadable waits until fd has something to read (or has hung up),
// the deadline passes (ErrTimeout; a zero deadline is none) or ctx is
// done (ctx's error). It blocks its goroutine in poll(2), with a pipe that
// ctx's end writes to, so the wait ends at once when ctx does. For
// descriptors Go's network poller does not take: a listener's readiness,
// standard input.
func WaitReadable(ctx context.Context, fd int, deadline time.Time) error {
	wake, err := newWakePipe(ctx)
	if err != nil {
		return err
	}
	defer wake.close()
	for {
		timeout := -1
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return ErrTimeout
			}
			timeout = int((d + time.Millisecond - 1) / time.Millisecond)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake.r), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, timeout)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case fds[0].Revents != 0:
			return nil
		}
	}
}

// wakePipe is a pipe written to when a context is done, so a poll that
// includes its read end wakes.
type wakePipe struct {
	r, w   int
	mu     sync.Mutex
	closed bool
	stop   func() bool
}

func newWakePipe(ctx context.Context) (*wakePipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	p := &wakePipe{r: fds[0], w: fds[1]}
	p.stop = context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.closed {
			unix.Write(p.w, []byte{1})
		}
	})
	return p, nil
}

func (p *wakePipe) close() {
	p.stop()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	unix.Close(p.r)
	unix.Close(p.w)
}
