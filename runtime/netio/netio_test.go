package netio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, "connection reset"},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, "closed"},
		{&net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}, "address already in use"},
		{&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, "host not found: nowhere.invalid"},
		{&net.AddrError{Err: "missing port in address", Addr: "x"}, "bad address: missing port in address: x"},
		{fmt.Errorf("wrapped: %w", syscall.EHOSTUNREACH), "host unreachable"},
		{errors.New("Something Else"), "something else"},
	}
	for _, c := range cases {
		if got := Message(c.err); got != c.want {
			t.Errorf("Message(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestReadBufferCompactsGrowsAndReleases(t *testing.T) {
	var b readBuffer
	if b.buf != nil {
		t.Fatal("a new buffer allocates nothing")
	}
	p := b.space(10)
	if len(p) < minReadSize {
		t.Fatalf("space %d < %d", len(p), minReadSize)
	}
	copy(p, "hello world")
	b.commit(11)
	if got := string(b.Take(6)); got != "hello " || string(b.Bytes()) != "world" {
		t.Fatalf("take %q, left %q", got, b.Bytes())
	}
	big := b.space(keepCapLimit * 2) // grows, keeping "world" first
	b.commit(copy(big, "!"))
	if string(b.Bytes()) != "world!" {
		t.Fatalf("after growing: %q", b.Bytes())
	}
	b.Consume(b.Len())
	if b.buf != nil || b.Len() != 0 {
		t.Fatal("a drained large buffer is released")
	}
}

// pipe returns two connected sockets over loopback TCP.
func pipe(t *testing.T) (*Socket, *Socket) {
	t.Helper()
	ln, err := Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := Dial(context.Background(), ln.LocalAddr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// Cancelling the context wakes a blocked receive without closing the
// socket, and no byte that arrives later is lost.
func TestCancelWakesRecvAndKeepsSocket(t *testing.T) {
	c, s := pipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.RecvExactly(ctx, 4)
		done <- err
	}()
	s.Send(context.Background(), []byte("ab"))
	cancel()
	if err := <-done; !errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
	s.Send(context.Background(), []byte("cd"))
	data, _, err := c.RecvExactly(context.Background(), 4)
	if err != nil || string(data) != "abcd" {
		t.Fatalf("after cancel: %q, %v", data, err)
	}
}

// Closing the socket from elsewhere wakes a blocked receive with "closed".
func TestCloseWakesRecv(t *testing.T) {
	c, _ := pipe(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.Recv(context.Background(), 1)
		done <- err
	}()
	c.Close()
	if err := <-done; Message(err) != "closed" {
		t.Fatalf("err = %v, want closed", err)
	}
}

func TestTryFrame(t *testing.T) {
	c, s := pipe(t)
	lineDec := func(buf []byte) (int, []byte, error) {
		for i, b := range buf {
			if b == '\n' {
				return i + 1, buf[:i], nil
			}
		}
		return 0, nil, nil
	}
	if _, ok, _ := c.TryFrame(lineDec); ok {
		t.Fatal("nothing buffered yet")
	}
	s.Send(context.Background(), []byte("one\ntwo\nthr"))
	msg, _, err := c.RecvFrame(context.Background(), lineDec)
	if err != nil || string(msg) != "one" {
		t.Fatalf("RecvFrame = %q, %v", msg, err)
	}
	if msg, ok, err := c.TryFrame(lineDec); !ok || err != nil || string(msg) != "two" {
		t.Fatalf("TryFrame = %q, %v, %v; want the buffered frame", msg, ok, err)
	}
	if _, ok, _ := c.TryFrame(lineDec); ok {
		t.Fatal("a partial frame is not a frame")
	}
	data, _ := c.Recv(context.Background(), 10)
	if string(data) != "thr" {
		t.Fatalf("the partial frame stays buffered: %q", data)
	}
}

func TestNewRejectsUnknownFamilyAndType(t *testing.T) {
	if _, err := New(99, SOCK_STREAM); err == nil || err.Error() != "unknown address family 99" {
		t.Errorf("family: %v", err)
	}
	if _, err := New(AF_INET, 7); err == nil || err.Error() != "unknown socket type 7" {
		t.Errorf("type: %v", err)
	}
}
