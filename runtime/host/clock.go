package host

import (
	"context"
	"time"
)

// Clock is the host's one source of time. Every sleep, timer, socket
// deadline, now() and monotonic() goes through it, so a virtual clock can
// replace the real one in tests.
type Clock interface {
	// Now is the wall-clock time (now() in Lua).
	Now() time.Time
	// Since is the monotonic time elapsed since t, a time Now returned.
	Since(t time.Time) time.Duration
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the operating system's clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Since returns time.Since(t), monotonic.
func (RealClock) Since(t time.Time) time.Duration { return time.Since(t) }

// Sleep waits on a timer or ctx.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
