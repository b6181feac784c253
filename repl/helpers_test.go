package repl

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/scripts"
)

// testTimeout bounds every session and every wait in these tests.
const testTimeout = 20 * time.Second

// transcript collects what a session writes, safe for concurrent use, and
// lets a test wait until some text has appeared.
type transcript struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // closed and replaced on every write
}

func newTranscript() *transcript {
	return &transcript{changed: make(chan struct{})}
}

func (tr *transcript) Write(p []byte) (int, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.b.Write(p)
	close(tr.changed)
	tr.changed = make(chan struct{})
	return len(p), nil
}

func (tr *transcript) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.b.String()
}

// waitFor returns once the transcript contains want at least n times, or
// fails the test after testTimeout.
func (tr *transcript) waitFor(t *testing.T, want string, n int) {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		tr.mu.Lock()
		got, changed := strings.Count(tr.b.String(), want), tr.changed
		tr.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited %v for %q (x%d); transcript:\n%s", testTimeout, want, n, tr.String())
		}
	}
}

// newSessionHost returns a host printing through r, with the bundled
// scripts, shut down at the end of the test.
func newSessionHost(t *testing.T, r *REPL, onListen func(net.Addr)) *host.Host {
	t.Helper()
	h, err := lualib.NewHost(host.Options{Stdin: r.cfg.In, Stdout: r.Stdout(), Stderr: r.Stderr(), OpenScript: scripts.Open, OnListen: onListen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// runPiped runs a whole session over input, as `netplay < input` does but
// with each line echoed after its prompt, and returns the transcript
// (stdout and stderr together) and the exit status.
func runPiped(t *testing.T, input string) (string, int) {
	t.Helper()
	out := newTranscript()
	r := New(Config{In: strings.NewReader(input), Out: out, Err: out, Echo: true})
	h := newSessionHost(t, r, nil)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	status := r.Run(ctx, h)
	if ctx.Err() != nil {
		t.Fatalf("session still running after %v:\n%s", testTimeout, out.String())
	}
	return out.String(), status
}

// session is a REPL running in the background over a fresh host, fed
// through a pipe line by line, with stdout and stderr in one transcript.
type session struct {
	out       *transcript
	in        *io.PipeWriter
	host      *host.Host
	status    chan int
	interrupt chan os.Signal // Ctrl-C
	listening chan string    // the addresses scripts listen on
	cancel    context.CancelFunc
}

// startSession starts a session that echoes its input, so the transcript
// reads like a terminal session. startup is Config.Startup.
func startSession(t *testing.T, startup ...string) *session {
	t.Helper()
	pr, pw := io.Pipe()
	s := &session{
		out: newTranscript(), in: pw, status: make(chan int, 1),
		interrupt: make(chan os.Signal, 1), listening: make(chan string, 16),
	}
	r := New(Config{In: pr, Out: s.out, Err: s.out, Echo: true, Interrupts: s.interrupt, Startup: startup})
	s.host = newSessionHost(t, r, func(a net.Addr) {
		select {
		case s.listening <- a.String():
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	s.cancel = cancel
	go func() { s.status <- r.Run(ctx, s.host) }()
	t.Cleanup(func() {
		s.end(t)
		cancel()
	})
	return s
}

// send types lines into the session.
func (s *session) send(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(s.in, l+"\n"); err != nil {
			t.Fatalf("session input: %v", err)
		}
	}
}

// end closes the input (Ctrl-D) and returns the exit status.
func (s *session) end(t *testing.T) int {
	t.Helper()
	s.in.Close()
	return s.wait(t)
}

// wait returns the exit status once the session has ended.
func (s *session) wait(t *testing.T) int {
	t.Helper()
	select {
	case status := <-s.status:
		s.status <- status
		return status
	case <-time.After(testTimeout):
		t.Fatalf("session did not end; transcript:\n%s", s.out.String())
		return -1
	}
}

// nextListen returns the next address a script started listening on.
func (s *session) nextListen(t *testing.T) string {
	t.Helper()
	select {
	case a := <-s.listening:
		return a
	case <-time.After(testTimeout):
		t.Fatalf("nothing listened; transcript:\n%s", s.out.String())
		return ""
	}
}

// masks replace what changes from run to run: ports and clock times.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{6}`), "HH:MM:SS.MICROS"},
}

// mask makes a transcript comparable between runs.
func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// netplay's binary, built once for the tests of this package.
var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string // removed by TestMain
)

// netplayBinary builds netplay (once) and returns its path.
func netplayBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "netplay-repl-test-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "netplay")
		build := exec.Command("go", "build", "-o", binaryPath, ".")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}
