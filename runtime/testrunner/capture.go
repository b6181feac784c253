package testrunner

import (
	"bytes"
	"io"
	"sync"
)

// capture keeps what one test's host printed: stdout and stderr
// interleaved as they came (shown with a failure, and with -v), and
// stdout alone (testing.output()).
type capture struct {
	mu     sync.Mutex
	all    bytes.Buffer
	stdout bytes.Buffer
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Stdout is the host's print and io.write.
func (c *capture) Stdout() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.stdout.Write(p)
		return c.all.Write(p)
	})
}

// Stderr is where the host reports task errors and warnings.
func (c *capture) Stderr() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.all.Write(p)
	})
}

// All is everything printed so far.
func (c *capture) All() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all.String()
}

// StdoutString is what went to stdout so far.
func (c *capture) StdoutString() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stdout.String()
}
