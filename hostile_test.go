package main

// Hostile clients against netplay servers run as child processes
// (childserver_test.go), as an adversarial user would attack them
// (issue 8): floods that make handlers die under a 256-descriptor limit,
// accept at that limit, a budget for buffered input, hostile headers,
// slowloris, connection churn and a signal with thousands of clients.
// Each test is bounded in time and in connections, and measures (never
// asserts) speeds; the figures are logged (go test -v -run Hostile).

import (
	"errors"
	"fmt"
	"io"
	"net"
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
