package netio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMessage(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{ErrTimeout, "timeout"},
		{os.ErrDeadlineExceeded, "timeout"},
		{io.EOF, "closed"},
		{net.ErrClosed, "closed"},
		{ErrCancelled, "cancelled"},
		{context.Canceled, "cancelled"},
		{ErrTooLong, "too long"},
		{ErrTooManyFiles, "too many open files"},
		{&net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}, "too many open files"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, "connection reset"},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, "closed"},
		{&net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}, "address already in use"},
		{&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, "host not found: nowhere.invalid"},
		{&net.AddrError{Err: "missing port in address", Addr: "x"}, "bad address: missing port in address: x"},
		{fmt.Errorf("wrapped: %w", syscall.EHOSTUNREACH), "host unreachable"},
		{errors.New("Something Else"), "something Else"}, // the first letter only: names stay
		{errors.New("tls: no certificate in the authority's PEM"), "tls: no certificate in the authority's PEM"},
		{errors.New("TLS handshake"), "TLS handshake"},
	}
	for _, c := range cases {
		if got := Message(c.err); got != c.want {
			t.Errorf("Message(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestReadBufferGrowsWithWhatArrivesAndIsReleasedWhenDrained(t *testing.T) {
	var b readBuffer
	if b.buf != nil {
		t.Fatal("a new buffer allocates nothing")
	}
	p, _ := b.space(10)
	if len(p) != minReadSize {
		t.Fatalf("space %d, want %d", len(p), minReadSize)
	}
	b.commit(copy(p, "hello world"), len(p))
	if got := string(b.Take(6)); got != "hello " || string(b.Bytes()) != "world" {
		t.Fatalf("take %q, left %q", got, b.Bytes())
	}
	full, _ := b.space(0)
	b.commit(len(full), len(full)) // a read that fills its space
	if b.size != 2*minReadSize {
		t.Fatalf("after a full read the next read is %d, want %d", b.size, 2*minReadSize)
	}
	b.Consume(b.Len())
	if b.buf != nil || b.Len() != 0 {
		t.Fatal("a drained buffer is released")
	}
	b.Unread([]byte("back"))
	if string(b.Bytes()) != "back" {
		t.Fatalf("unread: %q", b.Bytes())
	}
	more, _ := b.space(1)
	b.commit(copy(more, "!"), 1)
	b.Unread([]byte(">"))
	if string(b.Bytes()) != ">back!" {
		t.Fatalf("unread in front: %q", b.Bytes())
	}
}

// networks are what every behaviour test runs over: the operating
// system's loopback and the in-process network, which must behave alike.
func networks() map[string]func() Network {
	return map[string]func() Network{
		"real": func() Network { return Real },
		"mem":  func() Network { return NewMemNetwork() },
	}
}

// waiter is a GoWaiter bounded by the test's own deadline.
func waiter(t *testing.T) GoWaiter {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return GoWaiter{Ctx: ctx}
}

// pair returns two connected stream sockets on nw.
func pair(t *testing.T, nw Network) (*Socket, *Socket) {
	t.Helper()
	w := waiter(t)
	ln, err := Listen(nw, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := Dial(w, nw, ln.LocalAddr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept(w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func forEachNetwork(t *testing.T, test func(t *testing.T, nw Network)) {
	for name, nw := range networks() {
		t.Run(name, func(t *testing.T) { test(t, nw()) })
	}
}

// Mixing receive methods over 1-byte writes loses and reorders nothing.
func TestMixedReceivesShareOneBuffer(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		go func() {
			for _, b := range []byte("line one\nexact|rest") {
				s.Send(w, []byte{b})
			}
			s.Close()
		}()
		line, _, err := c.RecvUntil(w, []byte("\n"), 100)
		if err != nil || string(line) != "line one" {
			t.Fatalf("recv_until %q %v", line, err)
		}
		ex, _, err := c.RecvExactly(w, 5)
		if err != nil || string(ex) != "exact" {
			t.Fatalf("recv_exactly %q %v", ex, err)
		}
		frame, _, err := c.RecvFrame(w, func(buf []byte) (int, []byte, error) {
			if buf[0] != '|' {
				return 0, nil, errors.New("no bar")
			}
			return 1, buf[:1], nil
		})
		if err != nil || string(frame) != "|" {
			t.Fatalf("frame %q %v", frame, err)
		}
		var rest []byte
		for {
			p, err := c.Recv(w, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) == 0 {
				break
			}
			rest = append(rest, p...)
		}
		if string(rest) != "rest" {
			t.Fatalf("rest %q", rest)
		}
	})
}

// Cancelling the context wakes a waiting receive without closing the
// socket, and no byte that arrives later is lost.
func TestCancelWakesRecvAndKeepsSocket(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		ctx, cancel := context.WithCancel(w.Ctx)
		done := make(chan error, 1)
		go func() {
			_, _, err := c.RecvExactly(GoWaiter{Ctx: ctx}, 4)
			done <- err
		}()
		s.Send(w, []byte("ab"))
		cancel()
		if err := <-done; !errors.Is(err, ErrCancelled) {
			t.Fatalf("err = %v, want cancelled", err)
		}
		s.Send(w, []byte("cd"))
		data, _, err := c.RecvExactly(w, 4)
		if err != nil || string(data) != "abcd" {
			t.Fatalf("after cancel: %q, %v", data, err)
		}
	})
}

// A socket another caller closed answers "closed", whether the call was
// already waiting or came after.
func TestClosedSocketAnswersClosed(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, _ := pair(t, nw)
		w := waiter(t)
		done := make(chan error, 1)
		go func() {
			_, err := c.Recv(w, 1)
			done <- err
		}()
		for !c.rd.busy() {
			time.Sleep(time.Millisecond) // until the receive holds the read side
		}
		c.Close()
		if err := <-done; Message(err) != "closed" {
			t.Fatalf("waiting: err = %v, want closed", err)
		}
		if _, err := c.Recv(w, 1); Message(err) != "closed" {
			t.Fatalf("after: err = %v, want closed", err)
		}
		if _, err := c.Send(w, []byte("x")); Message(err) != "closed" {
			t.Fatalf("send after: err = %v, want closed", err)
		}
	})
}

func TestEOFInTheMiddleOfRecvExactlyHandsOverWhatCame(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		s.Send(w, []byte("abc"))
		s.Close()
		data, partial, err := c.RecvExactly(w, 10)
		if data != nil || string(partial) != "abc" || !errors.Is(err, ErrClosed) {
			t.Fatalf("got %q %q %v", data, partial, err)
		}
	})
}

func TestResetIsConnectionReset(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		s.Reset()
		_, err := c.Recv(w, 10)
		if Message(err) != "connection reset" {
			t.Fatalf("err = %v (%s)", err, Message(err))
		}
	})
}

func TestShutdownWriteGivesThePeerEOFAndKeepsReading(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		if err := c.Shutdown("w"); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Recv(w, 1); err != nil || len(p) != 0 {
			t.Fatalf("peer read %q %v, want EOF", p, err)
		}
		s.Send(w, []byte("still"))
		if p, _, err := c.RecvExactly(w, 5); err != nil || string(p) != "still" {
			t.Fatalf("read after shutdown(w): %q %v", p, err)
		}
	})
}

// Timeout 0 makes calls do what they can at once: buffered and ready
// bytes come back; with nothing, "timeout".
func TestNonBlockingCalls(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		c.SetTimeout(0)
		if _, err := c.Recv(w, 10); !errors.Is(err, ErrTimeout) {
			t.Fatalf("nothing ready: %v", err)
		}
		if n, err := c.Send(w, []byte("hi")); err != nil || n != 2 {
			t.Fatalf("send into an empty buffer: %d %v", n, err)
		}
		s.Send(w, []byte("ready"))
		var got []byte
		for len(got) < 5 { // the bytes may take a moment to cross
			p, err := c.Recv(w, 10)
			if err != nil && !errors.Is(err, ErrTimeout) {
				t.Fatal(err)
			}
			got = append(got, p...)
		}
		if string(got) != "ready" {
			t.Fatalf("got %q", got)
		}
		ln, err := Listen(nw, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ln.SetTimeout(0)
		if _, err := ln.Accept(w); !errors.Is(err, ErrTimeout) {
			t.Fatalf("accept with nobody waiting: %v", err)
		}
		d, err := Dial(w, nw, ln.LocalAddr().String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var conn *Socket
		for conn == nil {
			conn, err = ln.Accept(w)
			if err != nil && !errors.Is(err, ErrTimeout) {
				t.Fatal(err)
			}
		}
		conn.Close()
	})
}

func TestRecvTimeoutKeepsTheBytes(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		c.SetTimeout(20 * time.Millisecond)
		s.Send(w, []byte("par"))
		start := time.Now()
		_, partial, err := c.RecvExactly(w, 10)
		if !errors.Is(err, ErrTimeout) || string(partial) != "par" {
			t.Fatalf("got %q %v", partial, err)
		}
		if el := time.Since(start); el < 20*time.Millisecond || el > 2*time.Second {
			t.Fatalf("timed out after %v", el)
		}
		s.Send(w, []byte("tial"))
		c.SetTimeout(-1)
		data, _, err := c.RecvExactly(w, 7)
		if err != nil || string(data) != "partial" {
			t.Fatalf("after the timeout: %q %v", data, err)
		}
	})
}

// A writer whose peer does not read waits; it goes on when the peer
// reads, and every byte arrives in order.
func TestSendWaitsWhileThePeerDoesNotRead(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		big := []byte(strings.Repeat("0123456789abcdef", 1<<17)) // 2 MiB
		done := make(chan error, 1)
		go func() {
			_, err := c.Send(w, big)
			done <- err
		}()
		got, _, err := s.RecvExactly(w, len(big))
		if err != nil || string(got) != string(big) {
			t.Fatalf("received %d bytes, %v", len(got), err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		ln, err := Listen(nw, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.LocalAddr().String()
		ln.Close()
		_, err = Dial(waiter(t), nw, addr, time.Second)
		if Message(err) != "connection refused" {
			t.Fatalf("err = %v (%s)", err, Message(err))
		}
	})
}

func TestDatagramsKeepTheirBoundaries(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		w := waiter(t)
		a, _ := New(nw, AF_INET, SOCK_DGRAM)
		b, _ := New(nw, AF_INET, SOCK_DGRAM)
		defer a.Close()
		defer b.Close()
		if err := b.Bind("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"one", "two", "three"} {
			if _, err := a.SendTo(w, []byte(m), b.LocalAddr().String()); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"one", "tw", "three"} {
			p, from, err := b.RecvFrom(w, len(want))
			if err != nil || string(p) != want || from == nil {
				t.Fatalf("got %q from %v, %v; want %q", p, from, err, want)
			}
		}
	})
}

func TestNewRejectsUnknownFamilyAndType(t *testing.T) {
	if _, err := New(Real, 99, SOCK_STREAM); err == nil || err.Error() != "unknown address family 99" {
		t.Errorf("family: %v", err)
	}
	if _, err := New(Real, AF_INET, 7); err == nil || err.Error() != "unknown socket type 7" {
		t.Errorf("type: %v", err)
	}
}

func TestMemNetworkStaysInsideTheProcess(t *testing.T) {
	nw := NewMemNetwork()
	w := waiter(t)
	_, err := Dial(w, nw, "10.1.2.3:80", time.Second)
	var outside *ErrOutsideVirtualNetwork
	if !errors.As(err, &outside) || !strings.Contains(err.Error(), "10.1.2.3:80 is outside the virtual network") {
		t.Fatalf("err = %v", err)
	}
	a, _ := Listen(nw, "127.0.0.1:0")
	b, _ := Listen(nw, "127.0.0.1:0")
	defer a.Close()
	defer b.Close()
	if a.LocalAddr().String() != "127.0.0.1:40000" || b.LocalAddr().String() != "127.0.0.1:40001" {
		t.Fatalf("ports %v %v: handed out in order from 40000", a.LocalAddr(), b.LocalAddr())
	}
	if _, err := Listen(nw, "127.0.0.1:40000"); Message(err) != "address already in use" {
		t.Fatalf("taken port: %v", err)
	}
}

// The host's budget for buffered input: the connection asking for more
// than is left gets "memory budget exceeded"; what is freed comes back.
func TestBudgetBoundsWhatAllBuffersHold(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		budget := NewBudget(1 << 20)
		w := waiter(t)
		var conns []*Socket
		for range 3 {
			c, s := pair(t, nw)
			s.SetBudget(budget)
			go c.Send(w, make([]byte, 600<<10)) // 600 KiB of a frame that never ends
			conns = append(conns, s)
		}
		need := func(buf []byte) (int, []byte, error) { return 0, nil, nil } // never a whole frame
		s0, s1 := conns[0], conns[1]
		s0.SetTimeout(200 * time.Millisecond)
		if _, _, err := s0.RecvFrame(w, need); !errors.Is(err, ErrTimeout) {
			t.Fatalf("first: %v, want a timeout with 600 KiB buffered", err)
		}
		if budget.Used() < 600<<10 || budget.Used() > 1<<20 {
			t.Fatalf("used %d", budget.Used())
		}
		_, _, err := s1.RecvFrame(w, need)
		if Message(err) != "memory budget exceeded" {
			t.Fatalf("second: %v", err)
		}
		held := budget.Used()
		s0.Close() // its 600 KiB, never read, go back at once
		if used := budget.Used(); used >= held-600<<10 {
			t.Fatalf("after closing a socket holding 600 KiB: used %d, before %d", used, held)
		}
	})
}

// Partial frames may spend seven eighths of the budget; the last eighth is
// kept for connections' first 4 KiB, so a new client is still served.
func TestBudgetKeepsAnEighthForFirstReads(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		budget := NewBudget(1 << 20)
		w := waiter(t)
		hog, hogSrv := pair(t, nw)
		hogSrv.SetBudget(budget)
		go hog.Send(w, make([]byte, 2<<20))
		need := func(buf []byte) (int, []byte, error) { return 0, nil, nil }
		if _, _, err := hogSrv.RecvFrame(w, need); Message(err) != "memory budget exceeded" {
			t.Fatalf("hog: %v", err)
		}
		if used := budget.Used(); used > 1<<20-1<<20/8 {
			t.Fatalf("a growing buffer holds %d of the budget, more than seven eighths", used)
		}
		c, s := pair(t, nw)
		s.SetBudget(budget)
		if _, err := c.Send(w, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Recv(w, 100)
		if err != nil || string(got) != "hello" {
			t.Fatalf("new client: %q, %v", got, err)
		}
		hogSrv.Close()
		if used := budget.Used(); used != 0 {
			t.Fatalf("after the hog closed and the client's input was read: used %d", used)
		}
	})
}

// TakeBufferedFrame hands over whole frames already buffered and nothing
// else: a partial or bad frame, an empty buffer and a busy read side are
// left to RecvFrameWith, with the buffer as it was.
func TestTakeBufferedFrame(t *testing.T) {
	// One length byte, then the payload; a zero length is a bad header.
	dec := func(buf []byte) (int, []byte, error) {
		switch {
		case buf[0] == 0:
			return 0, nil, errors.New("bad header")
		case len(buf) < 1+int(buf[0]):
			return 0, nil, nil
		}
		return 1 + int(buf[0]), buf[1 : 1+buf[0]], nil
	}
	cases := []struct {
		name, in string
		busy     bool     // another caller holds the read side
		taken    []string // frames taken, in order
		left     string   // buffered after
		then     string   // RecvFrame's error after, if any
	}{
		{"nothing buffered", "", false, nil, "", ""},
		{"whole frames then a partial", "\x03abc\x02de\x05x", false, []string{"abc", "de"}, "\x05x", ""},
		{"bad header", "\x00rest", false, nil, "\x00rest", "bad header"},
		{"read side busy", "\x03abc", true, nil, "\x03abc", ""},
	}
	forEachNetwork(t, func(t *testing.T, nw Network) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, b := pair(t, nw)
				w := waiter(t)
				if c.in != "" {
					if _, err := b.Send(w, []byte(c.in)); err != nil {
						t.Fatal(err)
					}
					for a.rb.Len() < len(c.in) {
						if err := a.ReadMore(w, 64); err != nil {
							t.Fatal(err)
						}
					}
				}
				if c.busy {
					a.rd.acquireNow()
				}
				var taken []string
				for a.TakeBufferedFrame(dec, func(f []byte) { taken = append(taken, string(f)) }) {
				}
				if c.busy {
					a.rd.release()
				}
				if !slices.Equal(taken, c.taken) || string(a.rb.Bytes()) != c.left {
					t.Fatalf("took %q, left %q; want %q, left %q", taken, a.rb.Bytes(), c.taken, c.left)
				}
				if c.then != "" {
					if _, _, err := a.RecvFrame(w, dec); err == nil || err.Error() != c.then {
						t.Fatalf("RecvFrame after the quick path: %v, want %s", err, c.then)
					}
				}
			})
		}
	})
}
