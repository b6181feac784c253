package tracer

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// FileWriter buffers a trace on its way to a file: a write per event
// cost a system call each, slowing a busy traced server twentyfold. What
// is buffered goes out when 64 KiB have gathered, within flushAfter of
// being written, and at Close, so a trace file is never far behind.
type FileWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	c     io.Closer
	timer *time.Timer // armed while something waits in the buffer
	err   error
}

// flushAfter bounds how long a traced event waits in the buffer.
const flushAfter = 100 * time.Millisecond

// NewFileWriter buffers writes to w, closing c (if not nil) at Close.
func NewFileWriter(w io.Writer, c io.Closer) *FileWriter {
	f := &FileWriter{w: bufio.NewWriterSize(w, 64<<10), c: c}
	f.timer = time.AfterFunc(time.Hour, f.flushTimed)
	f.timer.Stop()
	return f
}

// Write buffers p.
func (f *FileWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	if f.w.Buffered() == 0 {
		f.timer.Reset(flushAfter)
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = err
	}
	return n, err
}

func (f *FileWriter) flushTimed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushLocked()
}

func (f *FileWriter) flushLocked() {
	if err := f.w.Flush(); err != nil && f.err == nil {
		f.err = err
	}
}

// Flush writes what is buffered.
func (f *FileWriter) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushLocked()
	return f.err
}

// Close flushes, then closes the file.
func (f *FileWriter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timer.Stop()
	f.flushLocked()
	if f.c != nil {
		if err := f.c.Close(); err != nil && f.err == nil {
			f.err = err
		}
	}
	return f.err
}
