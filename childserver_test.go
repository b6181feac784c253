package main

// A netplay server run as a child process for the hostile-client tests:
// its own file-descriptor limit, and its descriptors, memory and CPU
// measured from /proc while clients attack it.
//
// The server is the netplay binary, built once without the race detector
// (so its memory and CPU are netplay's, whatever flags the tests run
// with). The child is this test binary re-executed with childEnv set:
// TestMain sees it, lowers RLIMIT_NOFILE for itself (soft and hard: Go
// raises a soft limit to the hard one at start) and execs the binary, so
// the process measured is the server and the test process keeps its own
// limit.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// childEnv holds the path of the netplay binary the child execs.
	childEnv = "NETPLAY_TEST_CHILD_EXEC"
	// childNofileEnv holds the child's RLIMIT_NOFILE, if it is lowered.
	childNofileEnv = "NETPLAY_TEST_CHILD_NOFILE"
)

// execChildIfAsked is called first by TestMain: in the child it sets the
// file limit and execs the netplay binary with this process's arguments;
// it never returns there. In the test process it does nothing.
func execChildIfAsked() {
	bin := os.Getenv(childEnv)
	if bin == "" {
		return
	}
	if s := os.Getenv(childNofileEnv); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err == nil {
			err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "child: RLIMIT_NOFILE %q: %v\n", s, err)
			os.Exit(3)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childEnv+"=") && !strings.HasPrefix(kv, childNofileEnv+"=") {
			env = append(env, kv)
		}
	}
	err := syscall.Exec(bin, append([]string{bin}, os.Args[1:]...), env)
	fmt.Fprintf(os.Stderr, "child: exec %s: %v\n", bin, err)
	os.Exit(3)
}

// built is the netplay binary, built on first use and removed when the
// tests end (removeBuilt, from TestMain).
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// netplayBinary builds the netplay binary once per test run.
func netplayBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "netplay-hostile-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "netplay")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// removeBuilt removes the binary netplayBinary built, if any.
func removeBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// childServer is a netplay server running in a child process.
type childServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	pid    int
	addr   string // where it listens
	out    *lineLog
	errLog *lineLog
	exited chan struct{}
	status int // once exited is closed
}

// startChildServer runs `netplay ARGS...` in a child process whose
// RLIMIT_NOFILE is nofile (0: the test's own), and returns once it
// listens on a TCP address. The child is killed at the end of the test if
// it is still running.
func startChildServer(t *testing.T, nofile int, args ...string) *childServer {
	t.Helper()
	bin := netplayBinary(t)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"="+bin)
	if nofile > 0 {
		cmd.Env = append(cmd.Env, childNofileEnv+"="+strconv.Itoa(nofile))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childServer{t: t, cmd: cmd, pid: cmd.Process.Pid, out: newLineLog(), errLog: newLineLog(), exited: make(chan struct{})}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); c.out.readFrom(stdout) }()
	go func() { defer readers.Done(); c.errLog.readFrom(stderr) }()
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		cmd.Wait()
		c.status = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			c.status = 128 + int(ws.Signal())
		}
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			cmd.Process.Kill()
			<-c.exited
		}
	})
	deadline := time.Now().Add(testTimeout)
	for c.addr == "" {
		select {
		case <-c.exited:
			t.Fatalf("netplay %v exited with %d before listening: %s", args, c.status, c.errLog.text())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("netplay %v did not listen within %v", args, testTimeout)
		}
		c.addr = c.listening()
		if c.addr == "" {
			pause(5 * time.Millisecond)
		}
	}
	return c
}

// pause waits d: for polling /proc, where there is no event to wait on.
func pause(d time.Duration) {
	tm := time.NewTimer(d)
	<-tm.C
}

// listening is the address of the child's listening TCP socket ("" while
// it has none): the LISTEN row of /proc/PID/net/tcp whose inode is one of
// its descriptors.
func (c *childServer) listening() string {
	inodes := c.socketInodes()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", c.pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
			continue
		}
		return hexAddr(f[1])
	}
	return ""
}

// hexAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func hexAddr(s string) string {
	ipHex, portHex, _ := strings.Cut(s, ":")
	ip, _ := strconv.ParseUint(ipHex, 16, 32)
	port, _ := strconv.ParseUint(portHex, 16, 16)
	return fmt.Sprintf("%d.%d.%d.%d:%d", ip&0xff, ip>>8&0xff, ip>>16&0xff, ip>>24, port)
}

// socketInodes are the inodes of the child's open sockets.
func (c *childServer) socketInodes() map[string]bool {
	entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.pid))
	inodes := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", c.pid, e.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return inodes
}

// fds is how many descriptors the child has open.
func (c *childServer) fds() int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.pid))
	if err != nil {
		c.t.Fatalf("child's descriptors: %v", err)
	}
	return len(entries)
}

// memory is the child's resident set size now and at its peak, in bytes
// (VmRSS and VmHWM of /proc/PID/status).
func (c *childServer) memory() (rss, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid))
	if err != nil {
		c.t.Fatalf("child's status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

// cpu is the CPU time the child has used (user and system), from
// /proc/PID/stat in clock ticks of 10 ms (Linux's USER_HZ is 100).
func (c *childServer) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.pid))
	if err != nil {
		c.t.Fatalf("child's stat: %v", err)
	}
	// The fields after the command name, which may hold spaces: state is
	// field 3, utime 14 and stime 15.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// waitFDs waits (bounded by within) until the child has want descriptors
// open or fewer, and returns the count.
func (c *childServer) waitFDs(want int, within time.Duration) (int, bool) {
	deadline := time.Now().Add(within)
	for {
		n := c.fds()
		if n <= want || time.Now().After(deadline) {
			return n, n <= want
		}
		pause(10 * time.Millisecond)
	}
}

// waitFDsAtLeast waits (bounded by within) until the child has at least
// want descriptors open, and returns the count.
func (c *childServer) waitFDsAtLeast(want int, within time.Duration) (int, bool) {
	deadline := time.Now().Add(within)
	for {
		n := c.fds()
		if n >= want || time.Now().After(deadline) {
			return n, n >= want
		}
		pause(5 * time.Millisecond)
	}
}

// signal sends sig to the child and returns how long it took to exit and
// its status; it fails the test if it does not exit within within.
func (c *childServer) signal(sig syscall.Signal, within time.Duration) (time.Duration, int) {
	start := time.Now()
	c.cmd.Process.Signal(sig)
	select {
	case <-c.exited:
		return time.Since(start), c.status
	case <-time.After(within):
		c.t.Fatalf("netplay did not exit within %v of %v", within, sig)
	}
	return 0, 0
}

// stop ends the child with SIGTERM and checks that it exits 130 and that
// nothing on stderr shows a crash.
func (c *childServer) stop() {
	c.t.Helper()
	_, status := c.signal(syscall.SIGTERM, testTimeout)
	if status != exitInterrupted {
		c.t.Errorf("netplay exited with %d after SIGTERM, want %d", status, exitInterrupted)
	}
	for _, bad := range []string{"fatal error", "panic:", "goroutine "} {
		if c.errLog.count(func(l string) bool { return strings.Contains(l, bad) }) > 0 {
			c.t.Errorf("netplay's stderr shows %q:\n%s", bad, c.errLog.text())
			break
		}
	}
}

// lineLog collects the lines a child writes, each with when it arrived;
// it keeps the first maxKept lines and counts the rest.
type lineLog struct {
	mu      sync.Mutex
	lines   []logLine
	dropped int
	more    chan struct{} // closed and replaced at each new line
}

type logLine struct {
	at   time.Time
	text string
}

// maxKept bounds what a lineLog keeps (a flood of task errors is long).
const maxKept = 20000

func newLineLog() *lineLog { return &lineLog{more: make(chan struct{})} }

func (l *lineLog) readFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		if len(l.lines) < maxKept {
			l.lines = append(l.lines, logLine{time.Now(), sc.Text()})
		} else {
			l.dropped++
		}
		close(l.more)
		l.more = make(chan struct{})
		l.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

// snapshot returns the lines so far.
func (l *lineLog) snapshot() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logLine(nil), l.lines...)
}

// count is how many lines kept so far satisfy match.
func (l *lineLog) count(match func(string) bool) int {
	n := 0
	for _, line := range l.snapshot() {
		if match(line.text) {
			n++
		}
	}
	return n
}

// text is what was kept, the first 100 lines, for messages.
func (l *lineLog) text() string {
	var b strings.Builder
	for i, line := range l.snapshot() {
		if i == 100 {
			b.WriteString("...\n")
			break
		}
		b.WriteString(line.text + "\n")
	}
	return b.String()
}

// waitFor waits (bounded by within) until at least n kept lines satisfy
// match; it reports whether they did.
func (l *lineLog) waitFor(n int, match func(string) bool, within time.Duration) bool {
	timeout := time.After(within)
	for {
		l.mu.Lock()
		more := l.more
		l.mu.Unlock()
		if l.count(match) >= n {
			return true
		}
		select {
		case <-more:
		case <-timeout:
			return false
		}
	}
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
