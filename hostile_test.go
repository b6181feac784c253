package main

// Hostile clients against netplay servers run as child processes
// (childserver_test.go), as an adversarial user would attack them
// (issue 8): floods that make handlers die under a 256-descriptor limit,
// accept at that limit, a budget for buffered input, hostile headers,
// slowloris, connection churn and a signal with thousands of clients.
// Each test is bounded in time and in connections; speeds are measured
// and logged (go test -v -run Hostile .), and asserted only within
// generous bounds.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileDeadline bounds every client's life in these tests.
const hostileDeadline = 30 * time.Second

// fdLimit is the descriptor limit of the servers under attack (the
// issue's `ulimit -n 256`).
const fdLimit = 256

// dialServer connects to addr with a deadline for the whole connection.
func dialServer(addr string) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", addr, hostileDeadline)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(hostileDeadline))
	return c.(*net.TCPConn), nil
}

// readFrame reads one tutorial frame (a 10-byte header).
func readFrame(c net.Conn) (string, error) {
	header := make([]byte, 10)
	if _, err := io.ReadFull(c, header); err != nil {
		return "", fmt.Errorf("reading a header: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(header)))
	if err != nil {
		return "", fmt.Errorf("header %q: %w", header, err)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c, msg); err != nil {
		return "", fmt.Errorf("reading a %d-byte message: %w", n, err)
	}
	return string(msg), nil
}

// expectClosed reads (and drops) what the server sends until it closes
// the connection: nil at the end of the stream or a reset, an error when
// the deadline passes first.
func expectClosed(c net.Conn) error {
	_, err := io.Copy(io.Discard, c)
	if err == nil || isConnReset(err) {
		return nil
	}
	return fmt.Errorf("the server did not close the connection: %w", err)
}

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// echoOnce sends msg as a frame on a new connection and checks the echo.
func echoOnce(addr, msg string) error {
	c, err := dialServer(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return echoOn(c, msg)
}

// echoOn sends msg as a frame on c and checks the echo.
func echoOn(c net.Conn, msg string) error {
	if _, err := c.Write([]byte(headerFrame(msg))); err != nil {
		return err
	}
	got, err := readFrame(c)
	if err != nil {
		return err
	}
	if got != msg {
		return fmt.Errorf("echo %q, sent %q", got, msg)
	}
	return nil
}

// resetClose closes c with a TCP reset (SO_LINGER 0) instead of a FIN.
func resetClose(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// errorSummary counts errors by message and shows the first few.
func errorSummary(errs []error) string {
	if len(errs) == 0 {
		return "none"
	}
	counts := map[string]int{}
	for _, err := range errs {
		counts[err.Error()]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d errors:", len(errs))
	i := 0
	for msg, n := range counts {
		if i == 5 {
			b.WriteString(" ...")
			break
		}
		fmt.Fprintf(&b, " %dx %s;", n, msg)
		i++
	}
	return b.String()
}

// barrierFlood runs n clients at once: each connects (dial), then, once
// all n have connected and ready has returned, runs attack. So the server
// faces all n at the same time, more than its descriptor limit lets it
// accept. It returns the errors of the clients.
func barrierFlood(addr string, n int, ready func(), attack func(c *net.TCPConn) error) []error {
	var dialed, done sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	dialed.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			c, err := dialServer(addr)
			dialed.Done()
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			<-start
			if err := attack(c); err != nil {
				errs <- err
			}
		}()
	}
	dialed.Wait()
	ready()
	close(start)
	done.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// handlerFloods are the clients that made a capturing handler leak its
// connection (issue 8, item 1), each ending its handler with an error.
var handlerFloods = []struct {
	name   string
	attack func(c *net.TCPConn) error
}{
	{"bad header", func(c *net.TCPConn) error {
		if _, err := c.Write([]byte("xx        ")); err != nil && !isConnReset(err) {
			return err
		}
		return expectClosed(c)
	}},
	{"close mid-frame", func(c *net.TCPConn) error {
		if _, err := c.Write([]byte("20        0123456789")); err != nil && !isConnReset(err) {
			return err
		}
		c.CloseWrite() // half of a 20-byte frame, then the end of the stream
		return expectClosed(c)
	}},
	{"reset after a good exchange", func(c *net.TCPConn) error {
		if err := echoOn(c, "hello"); err != nil {
			return err
		}
		resetClose(c)
		return nil
	}},
}

// A handler that dies closes its connection, whether it captured it in a
// closure or was handed it by spawn(fn, conn): 300 clients of each kind
// at once against a server limited to 256 descriptors, after which its
// descriptors are back to where they started and a good client is
// served. Before issue 8 the capturing form leaked every connection and
// stopped serving for good.
func TestHostileHandlerFloodsUnderFDLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	const clients = 300
	for _, script := range []string{"capture_echo", "spawn_echo"} {
		t.Run(script, func(t *testing.T) {
			srv := startChildServer(t, fdLimit, "run", "testdata/hostile/"+script+".lua")
			base := srv.fds()
			if err := echoOnce(srv.addr, "warm up"); err != nil {
				t.Fatalf("good client before the floods: %v", err)
			}
			for _, fl := range handlerFloods {
				rssBefore, _ := srv.memory()
				fdsBefore, _ := srv.waitFDs(base, hostileDeadline)
				// The attack starts once the server holds all the
				// connections it can: it is at its limit.
				var peak int
				atLimit := func() { peak, _ = srv.waitFDsAtLeast(fdLimit-4, hostileDeadline) }
				errs := barrierFlood(srv.addr, clients, atLimit, fl.attack)
				if len(errs) > 0 {
					t.Errorf("%s: clients: %s", fl.name, errorSummary(errs))
				}
				fdsAfter, ok := srv.waitFDs(base, hostileDeadline)
				rssAfter, _ := srv.memory()
				t.Logf("%s %s x%d: fds %d -> %d (%d with all connected; limit %d), RSS %s -> %s",
					script, fl.name, clients, fdsBefore, fdsAfter, peak, fdLimit, mib(rssBefore), mib(rssAfter))
				if !ok {
					t.Fatalf("%s: the server has %d descriptors open %v after the flood, %d before: its handlers leak",
						fl.name, fdsAfter, hostileDeadline, base)
				}
				if err := echoOnce(srv.addr, "still served after "+fl.name); err != nil {
					t.Fatalf("good client after %s: %v", fl.name, err)
				}
			}
			failures := srv.out.count(func(l string) bool { return strings.HasPrefix(l, "accept failed: ") })
			others := srv.out.count(func(l string) bool { return l != "accept failed: too many open files" })
			t.Logf("%s: %d lines 'accept failed: too many open files'", script, failures)
			if others > 0 {
				t.Errorf("stdout has lines other than accept's failures:\n%s", srv.out.text())
			}
			srv.stop()
		})
	}
}

// acceptPause is accept's pause before its n-th "too many open files" in
// a row (n from 1): 5 ms, doubling up to 1 s (netio.Socket.Accept).
func acceptPause(n int) time.Duration {
	d := 5 * time.Millisecond
	for i := 1; i < n && d < time.Second; i++ {
		d *= 2
	}
	return min(d, time.Second)
}

// maxFailuresWithin is how many failures in a row accept can report in
// elapsed after its first one, by the back-off schedule: the first, then
// one after each further pause that fits.
func maxFailuresWithin(elapsed time.Duration) int {
	n, spent := 1, time.Duration(0)
	for {
		spent += acceptPause(n + 1)
		if spent > elapsed {
			return n
		}
		n++
	}
}

// At its descriptor limit part2/header_server neither spins nor floods
// its output: with 400 clients against a 256-descriptor limit its CPU use
// while at the limit stays low, it prints "accept failed: too many open
// files" at most once per back-off step (5 ms doubling to 1 s), and it
// serves again once the clients leave. Before issue 8 it used 99% of a
// core and printed 213,610 bogus "connection from" lines in 3 s.
func TestHostileAcceptAtFDLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	const clients = 400
	const window = 3 * time.Second
	srv := startChildServer(t, fdLimit, "run", "part2/header_server", "127.0.0.1:0", "3")
	base := srv.fds()
	rssBefore, _ := srv.memory()
	conns := make([]*net.TCPConn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := dialServer(srv.addr)
		if err != nil {
			t.Fatalf("client %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	failed := func(l string) bool { return strings.HasPrefix(l, "accept failed: ") }
	if !srv.out.waitFor(1, failed, hostileDeadline) {
		t.Fatalf("no accept failure with %d clients against a limit of %d (%d descriptors open)", clients, fdLimit, srv.fds())
	}
	atLimit := srv.fds()
	cpu0, t0 := srv.cpu(), time.Now()
	pause(window)
	cpu1, t1 := srv.cpu(), time.Now()
	cpuShare := float64(cpu1-cpu0) / float64(t1.Sub(t0))
	rssAtLimit, _ := srv.memory()

	var failures []logLine
	for _, l := range srv.out.snapshot() {
		if failed(l.text) {
			failures = append(failures, l)
		}
	}
	elapsed := failures[len(failures)-1].at.Sub(failures[0].at)
	allowed := maxFailuresWithin(elapsed + 50*time.Millisecond) // the reader's timing jitter
	t.Logf("at the limit (%d descriptors, %d clients): CPU %.1f%% of a core over %v (%v of CPU); %d accept failures in %v (the schedule allows %d); RSS %s -> %s",
		atLimit, clients, 100*cpuShare, t1.Sub(t0).Round(time.Millisecond), cpu1-cpu0, len(failures), elapsed.Round(time.Millisecond), allowed, mib(rssBefore), mib(rssAtLimit))
	if cpuShare > 0.5 {
		t.Errorf("at the limit the server used %.0f%% of a core, want under 50%%", 100*cpuShare)
	}
	if len(failures) > allowed+1 {
		t.Errorf("%d accept failures printed in %v: more than once per back-off step (%d)", len(failures), elapsed, allowed)
	}
	for _, l := range srv.out.snapshot() {
		if !failed(l.text) && !strings.HasPrefix(l.text, "connection from 127.0.0.1:") || l.text != "accept failed: too many open files" && failed(l.text) {
			t.Errorf("unexpected line on stdout: %q", l.text)
			break
		}
	}

	// The clients leave; the server serves a new one.
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	left := time.Now()
	c, err := dialServer(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg, err := readFrame(c)
	if err != nil || msg != "Welcome to the server!" {
		t.Fatalf("a client after the others left: %q, %v", msg, err)
	}
	served := time.Since(left)
	c.Close()
	fds, ok := srv.waitFDs(base, hostileDeadline)
	t.Logf("a new client served %v after the others left; descriptors %d -> %d (at the limit %d)", served.Round(time.Millisecond), base, fds, atLimit)
	if !ok {
		t.Errorf("%d descriptors open after the clients left, %d before", fds, base)
	}
	srv.stop()
}

// tcpQueues sums, over the TCP connections to port on this machine, the
// bytes clients have sent and the server has not acknowledged, and the
// bytes the server has received and its process not read (the tx_queue
// and rx_queue columns of /proc/net/tcp).
func tcpQueues(port string) (unacked, unread int64, err error) {
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, 0, err
	}
	p, _ := strconv.ParseUint(port, 10, 16)
	server := fmt.Sprintf("0100007F:%04X", p) // 127.0.0.1:port as the file writes it
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || f[3] == "0A" {
			continue
		}
		tx, rx, _ := strings.Cut(f[4], ":")
		switch {
		case f[2] == server: // a client's side
			n, _ := strconv.ParseInt(tx, 16, 64)
			unacked += n
		case f[1] == server: // the server's side
			n, _ := strconv.ParseInt(rx, 16, 64)
			unread += n
		}
	}
	return unacked, unread, nil
}

// partialFrames opens n connections to srv at once, each sending all but
// the last byte of a 1 MiB frame and then holding it, and waits until the
// server has read every byte it will read (nothing unacknowledged, nothing
// unread). It returns the connections, still open, and how many the
// server closed.
func partialFrames(t *testing.T, srv *childServer, n int) (conns []*net.TCPConn, closed int) {
	t.Helper()
	const size = 1 << 20
	payload := []byte(fmt.Sprintf("%-10d", size) + strings.Repeat("x", size-1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialServer(srv.addr)
			if err == nil {
				_, err = c.Write(payload)
			}
			mu.Lock()
			defer mu.Unlock()
			if c != nil {
				conns = append(conns, c)
			}
			switch {
			case err == nil:
			case isConnReset(err):
				closed++ // the server closed it while it sent
			default:
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("clients: %s", errorSummary(errs))
	}
	_, port, _ := net.SplitHostPort(srv.addr)
	deadline := time.Now().Add(hostileDeadline)
	for {
		unacked, unread, err := tcpQueues(port)
		if err != nil {
			t.Fatal(err)
		}
		if unacked == 0 && unread == 0 {
			return conns, closed
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %d bytes still unacknowledged and %d unread", hostileDeadline, unacked, unread)
		}
		pause(10 * time.Millisecond)
	}
}

// fixedOverhead is what the issue allows a server's RSS over its budget
// for buffered input: its own memory, not a multiple of the budget. With
// GOMEMLIMIT=80MiB the 64 MiB case measured 14 MiB over.
const fixedOverhead = 32 << 20

// budgetFlood runs n partial 1 MiB frames against the budget echo server
// with a budget of budget bytes (0: the default), and checks that the
// connections past the budget get "memory budget exceeded", that the
// server's peak RSS stays under three times the budget (the bound that
// holds now; without a budget the server took 1.7 MiB a connection), and
// under the budget plus a fixed overhead (the bound, which does
// not hold yet), that a good client is served once they leave and that
// the descriptors come back. goodWhileSpent runs while the connections
// hold the budget.
func budgetFlood(t *testing.T, n int, budget int64, goodWhileSpent func(t *testing.T, srv *childServer)) {
	args := []string{"run", "testdata/hostile/budget_echo.lua"}
	shown := budget
	if budget > 0 {
		args = append([]string{"--max-buffered", strconv.FormatInt(budget, 10)}, args...)
	} else {
		shown = 256 << 20 // host.DefaultMaxBuffered
	}
	srv := startChildServer(t, 0, args...)
	base := srv.fds()
	rssBefore, _ := srv.memory()
	conns, closed := partialFrames(t, srv, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	rss, peak := srv.memory()
	exceeded := srv.out.count(isBudgetLine)
	t.Logf("%d partial 1 MiB frames, budget %s: RSS %s -> %s (peak %s, %s over the budget); %d connections got \"memory budget exceeded\" (%d writers saw the close), %d hold their frames",
		n, mib(shown), mib(rssBefore), mib(rss), mib(peak), mib(peak-shown), exceeded, closed, n-exceeded)
	if peak > 3*shown+fixedOverhead {
		t.Errorf("peak RSS %s, over three times the budget %s plus %s", mib(peak), mib(shown), mib(fixedOverhead))
	}
	if held := n - exceeded; held > int(shown>>20) || exceeded == 0 {
		t.Errorf("%d of %d connections hold their frames; a %s budget holds at most %d frames of 1 MiB", held, n, mib(shown), shown>>20)
	}
	if others := srv.out.count(func(l string) bool { return !isBudgetLine(l) }); others > 0 {
		t.Errorf("other lines on stdout:\n%s", srv.out.text())
	}
	t.Run("RSS under the budget plus a fixed overhead", func(t *testing.T) {
		if peak > shown+fixedOverhead {
			t.Errorf("peak RSS %s is %s over the %s budget, not a fixed overhead (%s)", mib(peak), mib(peak-shown), mib(shown), mib(fixedOverhead))
		}
	})
	if goodWhileSpent != nil {
		t.Run("good client with the budget spent", func(t *testing.T) { goodWhileSpent(t, srv) })
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	fds, ok := srv.waitFDs(base, hostileDeadline)
	rssAfter, _ := srv.memory()
	t.Logf("after the clients left: descriptors %d -> %d, RSS %s", base, fds, mib(rssAfter))
	if !ok {
		t.Errorf("%d descriptors open after the clients left, %d before", fds, base)
	}
	if err := echoOnce(srv.addr, "a good client"); err != nil {
		t.Errorf("a good client after the others left: %v", err)
	}
	srv.stop()
}

// The budget for buffered input holds: 300 connections each sending all
// but the last byte of a 1 MiB frame to a header echo server with
// --max-buffered 64 MiB. The connections past the budget get "memory
// budget exceeded", the server's RSS stays bounded (112-134 MiB at its
// peak measured: see budgetFlood) and a good client is served (see the
// subtest). Before issue 8, 1,000 such connections took 1.8 GB.
func TestHostileBufferedInputBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	budgetFlood(t, 300, 64<<20, func(t *testing.T, srv *childServer) {
		before := srv.out.count(isBudgetLine)
		if err := echoOnce(srv.addr, "a good client"); err != nil {
			refused := srv.out.waitFor(before+1, isBudgetLine, time.Second)
			t.Errorf("while partial frames held open have spent the budget, a good client was dropped (server said \"memory budget exceeded\": %v): %v", refused, err)
		}
	})
}

// 1,000 partial 1 MiB frames at the default budget (256 MiB): the figure
// the issue asked for (1.8 GB before it).
func TestHostilePartialFramesDefaultBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	budgetFlood(t, 1000, 0, nil)
}

// The budget comes back when a connection holding buffered input ends,
// however it ends. Two ways that keep bytes buffered when the socket
// closes: 300 connections holding partial 1 MiB frames reset (64 MiB
// budget), and 1,100 connections each sending a bad header, whose bytes
// stay buffered after the error (4 MiB budget, 1,024 reads of 4 KiB).
// Afterwards, with no other client connected, a good client is served
// and a second round fares as the first.
func TestHostileBudgetComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	cases := []struct {
		name   string
		budget int
		round  func(t *testing.T, srv *childServer) int // returns the connections that held input
	}{
		{"partial frames then a reset", 64 << 20, func(t *testing.T, srv *childServer) int {
			before := srv.out.count(isBudgetLine)
			conns, _ := partialFrames(t, srv, 300)
			for _, c := range conns {
				resetClose(c)
			}
			return 300 - (srv.out.count(isBudgetLine) - before)
		}},
		{"bad headers", 4 << 20, func(t *testing.T, srv *childServer) int {
			before := srv.out.count(isBudgetLine)
			var mu sync.Mutex
			var errs []error
			var wg sync.WaitGroup
			next := make(chan struct{})
			for range 50 { // 50 at a time
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range next {
						c, err := dialServer(srv.addr)
						if err == nil {
							c.Write([]byte("xx        "))
							err = expectClosed(c)
							c.Close()
						}
						if err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
					}
				}()
			}
			for range 1100 {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			if len(errs) > 0 {
				t.Errorf("clients: %s", errorSummary(errs))
			}
			return 1100 - (srv.out.count(isBudgetLine) - before)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startChildServer(t, 0, "--max-buffered", strconv.Itoa(tc.budget), "run", "testdata/hostile/budget_echo.lua")
			base := srv.fds()
			var held []int
			for round := 1; round <= 2; round++ {
				held = append(held, tc.round(t, srv))
				if fds, ok := srv.waitFDs(base, hostileDeadline); !ok {
					t.Fatalf("round %d: %d descriptors open after the clients left, %d before", round, fds, base)
				}
				before := srv.out.count(isBudgetLine)
				err := echoOnce(srv.addr, "a good client")
				t.Logf("round %d (budget %s): %d connections read input before they ended; a good client afterwards: %v", round, mib(int64(tc.budget)), held[round-1], err)
				if err != nil {
					refused := srv.out.waitFor(before+1, isBudgetLine, time.Second)
					t.Fatalf("after %s, with no client connected, a good client is refused (server said \"memory budget exceeded\": %v; client: %v): closing a socket did not give its buffered input back to the budget", tc.name, refused, err)
				}
			}
			if held[1] < held[0] {
				t.Errorf("the second round read input on %d connections, the first on %d: the budget did not come back", held[1], held[0])
			}
			srv.stop()
		})
	}
}

// isBudgetLine matches what budget_echo.lua prints for a connection past
// the budget.
func isBudgetLine(l string) bool { return l == "memory budget exceeded" }

// hostileHeaders are tutorial headers (10 bytes: a length in ASCII
// digits, space-padded) as an attacker writes them, each with the error
// the codec gives.
var hostileHeaders = []struct{ name, bytes, reason string }{
	{"2^63", "9223372036854775808", "frame too large"},
	{"2^64", "18446744073709551616", "frame too large"},
	{"1 GiB", "1073741824", "frame too large"},
	{"-1", "-1        ", "bad header"},
	{"+32", "+32       ", "bad header"},
	{"0x20", "0x20      ", "bad header"},
	{"1e3", "1e3       ", "bad header"},
	{"NUL bytes", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "bad header"},
	{"NUL after a digit", "5\x00        hello", "bad header"},
	{"spaces only", "          ", "bad header"},
	{"a leading space", " 5        hello", "bad header"},
}

// Every hostile header drops its own connection and nothing else: a good
// client connected all along is echoed after each, and a new one at the
// end, on the bundled header echo server and on the capturing handler
// (whose task errors on stderr say why).
func TestHostileHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("attacks a child server")
	}
	for _, script := range []string{"bench/echo_server", "testdata/hostile/capture_echo.lua"} {
		t.Run(script, func(t *testing.T) {
			srv := startChildServer(t, fdLimit, "run", script, "127.0.0.1:0")
			base := srv.fds()
			good, err := dialServer(srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			if err := echoOn(good, "before"); err != nil {
				t.Fatal(err)
			}
			var slowest time.Duration
			for _, h := range hostileHeaders {
				c, err := dialServer(srv.addr)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				c.Write([]byte(h.bytes))
				err = expectClosed(c)
				elapsed := time.Since(start)
				c.Close()
				if err != nil {
					t.Errorf("header %s (%q): %v", h.name, h.bytes, err)
				}
				if err := echoOn(good, "after "+h.name); err != nil {
					t.Fatalf("the good client after header %s: %v", h.name, err)
				}
				slowest = max(slowest, elapsed)
			}
			t.Logf("%d hostile headers, each dropped within %v; the good client echoed after each", len(hostileHeaders), slowest.Round(time.Microsecond))
			if err := echoOnce(srv.addr, "a new client"); err != nil {
				t.Errorf("a new client after the hostile headers: %v", err)
			}
			good.Close()
			if fds, ok := srv.waitFDs(base, hostileDeadline); !ok {
				t.Errorf("%d descriptors open after the clients left, %d before", fds, base)
			}
			if strings.HasSuffix(script, "capture_echo.lua") {
				// One task error per hostile header, each saying why.
				for _, reason := range []string{"frame too large", "bad header"} {
					want := 0
					for _, h := range hostileHeaders {
						if h.reason == reason {
							want++
						}
					}
					got := srv.errLog.count(func(l string) bool { return strings.HasPrefix(l, "task ") && strings.Contains(l, reason) })
					if got != want {
						t.Errorf("%d task errors on stderr say %q, want %d:\n%s", got, reason, want, srv.errLog.text())
					}
				}
			}
			srv.stop()
		})
	}
}

// roundTrips times n echoes of a small frame on c, spaced by gap.
func roundTrips(c net.Conn, n int, gap time.Duration) ([]time.Duration, error) {
	var rtts []time.Duration
	for i := range n {
		start := time.Now()
		if err := echoOn(c, fmt.Sprintf("ping %d", i)); err != nil {
			return rtts, fmt.Errorf("round trip %d: %w", i, err)
		}
		rtts = append(rtts, time.Since(start))
		pause(gap)
	}
	return rtts, nil
}

// quantile is the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// slowloris keeps a connection to addr open by sending one byte of a
// frame every 100 ms, reconnecting whenever the server closes it, until
// stop is closed. It reports the life of each connection the server
// closed.
func slowloris(addr string, stop <-chan struct{}, lives chan<- time.Duration) error {
	const frame = "5         hello"
	for {
		c, err := dialServer(addr)
		if err != nil {
			return err
		}
		born := time.Now()
		for i := 0; ; i++ {
			select {
			case <-stop:
				c.Close()
				return nil
			default:
			}
			c.Write([]byte{frame[i%len(frame)]})
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, err := c.Read(make([]byte, 64))
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			lives <- time.Since(born) // closed (or reset) by the server
			c.Close()
			break
		}
	}
}

// 500 slowloris clients (a byte every 100 ms, reconnecting when dropped)
// against a server that uses settimeout do not slow a good client: its
// round trips are timed before and during the attack, and every loris is
// dropped at its deadline.
func TestHostileSlowloris(t *testing.T) {
	if testing.Short() {
		t.Skip("attacks a child server")
	}
	const lorises = 500
	const timeout = time.Second
	srv := startChildServer(t, 0, "run", "testdata/hostile/timeout_echo.lua", "127.0.0.1:0", "1")
	base := srv.fds()
	good, err := dialServer(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	quiet, err := roundTrips(good, 50, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	good.Close()

	stop := make(chan struct{})
	lives := make(chan time.Duration, 100000)
	errs := make(chan error, lorises)
	var wg sync.WaitGroup
	for range lorises {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := slowloris(srv.addr, stop, lives); err != nil {
				errs <- err
			}
		}()
	}
	stopLorises := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLorises()
	if n, ok := srv.waitFDsAtLeast(base+lorises, hostileDeadline); !ok {
		t.Fatalf("only %d descriptors open: the lorises did not all connect", n)
	}
	good, err = dialServer(srv.addr) // a new connection: the old one's deadline has passed
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	attacked, err := roundTrips(good, 200, 10*time.Millisecond)
	if err != nil {
		t.Fatalf("the good client under attack: %v", err)
	}
	stopLorises()
	close(lives)
	close(errs)
	for err := range errs {
		t.Errorf("loris: %v", err)
	}
	var dropped []time.Duration
	for d := range lives {
		dropped = append(dropped, d)
	}
	t.Logf("good client round trip: p50 %v, p99 %v, max %v alone; p50 %v, p99 %v, max %v with %d lorises",
		quantile(quiet, 0.5), quantile(quiet, 0.99), quantile(quiet, 1), quantile(attacked, 0.5), quantile(attacked, 0.99), quantile(attacked, 1), lorises)
	// A life is timed from when the loris's dial returned, which under
	// load can be after the server accepted: the shortest may be under
	// the deadline.
	t.Logf("lorises dropped %d times, after %v (shortest), %v (median), %v (longest); the deadline is %v",
		len(dropped), quantile(dropped, 0).Round(time.Millisecond), quantile(dropped, 0.5).Round(time.Millisecond), quantile(dropped, 1).Round(time.Millisecond), timeout)
	if p50 := quantile(attacked, 0.5); p50 > 250*time.Millisecond {
		t.Errorf("with %d lorises the good client's median round trip is %v", lorises, p50)
	}
	if len(dropped) < lorises {
		t.Errorf("lorises dropped %d times, want each of %d at least once", len(dropped), lorises)
	}
	good.Close()
	if fds, ok := srv.waitFDs(base, hostileDeadline); !ok {
		t.Errorf("%d descriptors open after the clients left, %d before", fds, base)
	}
	srv.stop()
}

// churnClient is one connect/close cycle of kind i%3 against an echo
// server: connect and close at once, a good exchange then close, or a
// good exchange then a reset. Its source address rotates over
// 127.0.0.2-127.0.0.17 so 20,000 closed connections waiting out TIME_WAIT
// do not use up one address's ephemeral ports.
func churnClient(addr string, i int) error {
	d := net.Dialer{Timeout: hostileDeadline, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%16))}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := conn.(*net.TCPConn)
	c.SetDeadline(time.Now().Add(hostileDeadline))
	switch i % 3 {
	case 0:
		return c.Close()
	case 1:
		defer c.Close()
		return echoOn(c, "churn")
	}
	if err := echoOn(c, "churn"); err != nil {
		c.Close()
		return err
	}
	resetClose(c)
	return nil
}

// churn runs cycles [from, to) of churnClient on workers goroutines.
func churn(addr string, from, to, workers int) []error {
	next := make(chan int)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := churnClient(addr, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// 20,000 connect/close cycles (close at once, after an exchange, or with
// a reset) against the capturing handler under a 256-descriptor limit
// leak neither descriptors nor memory: the descriptors come back to where
// they started and RSS stops growing (measured at each quarter).
func TestHostileChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	const cycles, workers = 20000, 16
	srv := startChildServer(t, fdLimit, "run", "testdata/hostile/capture_echo.lua")
	base := srv.fds()
	rssStart, _ := srv.memory()
	start := time.Now()
	var rss []int64
	for q := range 4 {
		if errs := churn(srv.addr, q*cycles/4, (q+1)*cycles/4, workers); len(errs) > 0 {
			t.Fatalf("cycles %d-%d: %s", q*cycles/4, (q+1)*cycles/4, errorSummary(errs))
		}
		if fds, ok := srv.waitFDs(base, hostileDeadline); !ok {
			t.Fatalf("after %d cycles: %d descriptors open, %d before", (q+1)*cycles/4, fds, base)
		}
		r, _ := srv.memory()
		rss = append(rss, r)
	}
	elapsed := time.Since(start)
	_, peak := srv.memory()
	t.Logf("%d cycles in %v (%.0f/s): descriptors %d -> %d; RSS %s at the start, %s %s %s %s after each quarter (peak %s)",
		cycles, elapsed.Round(time.Millisecond), float64(cycles)/elapsed.Seconds(), base, srv.fds(), mib(rssStart), mib(rss[0]), mib(rss[1]), mib(rss[2]), mib(rss[3]), mib(peak))
	// A leak of even 600 bytes a cycle would show over the last 15,000.
	if grew := rss[3] - rss[0]; grew > 8<<20 {
		t.Errorf("RSS grew by %s over the last %d cycles", mib(grew), 3*cycles/4)
	}
	if err := echoOnce(srv.addr, "after the churn"); err != nil {
		t.Errorf("a good client after the churn: %v", err)
	}
	srv.stop()
}

// SIGTERM with 2,000 clients connected to part2/header_server closes
// every connection (each client sees the end of its stream or a reset)
// and the process exits 130 promptly.
func TestHostileSigtermWithManyClients(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a child server")
	}
	const clients = 2000
	srv := startChildServer(t, 0, "run", "part2/header_server", "127.0.0.1:0", "1000")
	conns := make([]*net.TCPConn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := dialServer(srv.addr)
		if err != nil {
			t.Fatalf("client %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	// Every client has been welcomed: the server holds every connection.
	for i, c := range conns {
		if msg, err := readFrame(c); err != nil || msg != "Welcome to the server!" {
			t.Fatalf("client %d: %q, %v", i+1, msg, err)
		}
	}
	rss, _ := srv.memory()
	fds := srv.fds()
	ends := make(chan error, clients)
	var closedAt sync.Map // when each client saw its end, after the signal
	for i, c := range conns {
		go func() {
			err := expectClosed(c)
			closedAt.Store(i, time.Now())
			ends <- err
		}()
	}
	sent := time.Now()
	took, status := srv.signal(syscall.SIGTERM, testTimeout)
	var errs []error
	for range clients {
		if err := <-ends; err != nil {
			errs = append(errs, err)
		}
	}
	var last time.Duration
	closedAt.Range(func(_, v any) bool {
		last = max(last, v.(time.Time).Sub(sent))
		return true
	})
	t.Logf("SIGTERM with %d clients (%d descriptors, RSS %s): exited %d after %v; the last client saw its end %v after the signal",
		clients, fds, mib(rss), status, took.Round(time.Millisecond), last.Round(time.Millisecond))
	if len(errs) > 0 {
		t.Errorf("clients: %s", errorSummary(errs))
	}
	if status != exitInterrupted {
		t.Errorf("exit status %d, want %d", status, exitInterrupted)
	}
	if took > shutdownGrace+time.Second {
		t.Errorf("exited %v after SIGTERM, want within %v", took, shutdownGrace+time.Second)
	}
}
