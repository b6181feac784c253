package netio

import (
	"bytes"
	"context"
	"testing"

	"golang.org/x/sys/unix"

	"netplay/runtime/framing"
)

// Frames held back while input is buffered arrive whole and in order,
// however the output ends (a flush, a plain send, a frame sent when no
// input waits, a close) and however little the peer's side takes at a
// time: on a real connection with small socket buffers every write is
// short, and what is left must be kept. Large messages are written from
// where they are (referred to) on real connections only; small ones are
// copied.
func TestHeldOutputArrivesWholeAndInOrder(t *testing.T) {
	codec, err := framing.Header(10, 0)
	if err != nil {
		t.Fatal(err)
	}
	around := codec.(framing.Around).EncodeAround
	cases := []struct {
		name  string
		sizes []int  // messages sent as frames with input buffered
		end   string // flush, send, frame, close
		small bool   // 16 KiB socket buffers: short writes
	}{
		{"small frames, flush", []int{5, 32, 100}, "flush", false},
		{"large frames between small ones, flush", []int{32, 4096, 10, 2000, 1024, 7}, "flush", false},
		{"large frames, short writes, flush", []int{4096, 4096, 4096, 5, 4096, 4096, 4096, 4096, 4096}, "flush", true},
		{"over the bound: written at once, short writes", []int{30000, 30000, 30000, 12}, "flush", true},
		{"large frames then a plain send, short writes", []int{4096, 3, 4096}, "send", true},
		{"large frames then a frame with no input waiting", []int{4096, 1500}, "frame", true},
		{"large frames then close", []int{4096, 20, 2048}, "close", false},
	}
	forEachNetwork(t, func(t *testing.T, nw Network) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c, s := pair(t, nw)
				w := waiter(t)
				real := nw == Real
				if tc.small && real {
					setBuffer(t, s, unix.SO_SNDBUF, 16384)
					setBuffer(t, c, unix.SO_RCVBUF, 16384)
				}
				// Input waits in s's buffer: its frames are held back.
				if _, err := c.Send(w, []byte("x")); err != nil {
					t.Fatal(err)
				}
				if err := s.ReadMore(w, 1); err != nil {
					t.Fatal(err)
				}
				var msgs [][]byte
				var want []byte
				wantReferred := false
				for i, n := range tc.sizes {
					m := bytes.Repeat([]byte{byte('a' + i)}, n)
					msgs = append(msgs, m)
					want, _ = codec.Encode(want, m)
					wantReferred = wantReferred || real && n >= minReferenced
				}
				switch tc.end {
				case "send":
					want = append(want, "tail"...)
				case "frame":
					want, _ = codec.Encode(want, []byte("last"))
				}
				received := make(chan []byte, 1)
				go func() {
					got, _, _ := c.RecvExactly(w, len(want))
					received <- got
				}()

				referred := false
				for _, m := range msgs {
					if _, err := s.SendFrame(w, m, codec.Encode, around, len(m)+32, true); err != nil {
						t.Fatal(err)
					}
					referred = referred || s.held != nil
				}
				if referred != wantReferred {
					t.Errorf("output referred to messages: %v, want %v", referred, wantReferred)
				}
				endHeldOutput(t, w, s, tc.end, codec)

				got := <-received
				if !bytes.Equal(got, want) {
					t.Fatalf("peer got %d bytes, want %d; first difference at %d", len(got), len(want), firstDifference(got, want))
				}
				if tc.end == "close" {
					if p, err := c.Recv(w, 1); len(p) != 0 || err != nil {
						t.Fatalf("after the output, %q %v; want EOF", p, err)
					}
					return
				}
				if s.heldLen() != 0 || s.wbuf != nil || s.held != nil || s.Pending() {
					t.Fatalf("after the output: %d bytes held, buffer %v, parts %v, pending %v", s.heldLen(), s.wbuf != nil, s.held != nil, s.Pending())
				}
			})
		}
	})
}

// endHeldOutput ends s's held output as end says: flush, send (a plain
// "tail"), frame ("last", framed, after the input is taken: not held),
// close.
func endHeldOutput(t *testing.T, w Waiter, s *Socket, end string, codec framing.Codec) {
	t.Helper()
	var err error
	switch end {
	case "flush":
		err = s.Flush(w)
	case "send":
		_, err = s.Send(w, []byte("tail"))
	case "frame":
		if _, err = s.Recv(w, 1); err != nil {
			break
		}
		var deferred bool
		deferred, err = s.SendFrame(w, []byte("last"), codec.Encode, nil, 36, true)
		if deferred {
			t.Fatal("a frame sent with no input waiting was held back")
		}
	case "close":
		err = s.Close()
	}
	if err != nil {
		t.Fatalf("%s: %v", end, err)
	}
}

// firstDifference is the first offset at which a and b differ.
func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// setBuffer sets a real socket's SO_SNDBUF or SO_RCVBUF.
func setBuffer(t *testing.T, s *Socket, opt, n int) {
	t.Helper()
	st, err := s.stream()
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(st.(*realStream).fd, unix.SOL_SOCKET, opt, n); err != nil {
		t.Fatal(err)
	}
}

// Held output a peer will never take (it reset the connection) fails the
// flush with the reset, once, and is let go: the messages it referred to,
// the buffer and the pending count.
func TestHeldOutputAfterThePeerResets(t *testing.T) {
	codec, err := framing.Header(10, 0)
	if err != nil {
		t.Fatal(err)
	}
	around := codec.(framing.Around).EncodeAround
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		if _, err := c.Send(w, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.ReadMore(w, 1); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{4096, 32, 2048} {
			deferred, err := s.SendFrame(w, bytes.Repeat([]byte("m"), n), codec.Encode, around, n+32, true)
			if err != nil || !deferred {
				t.Fatalf("send of %d bytes: held %v, %v", n, deferred, err)
			}
		}
		c.Reset()
		if err := s.Flush(w); Message(err) != "connection reset" {
			t.Fatalf("flush after the reset: %v (%s), want connection reset", err, Message(err))
		}
		if s.heldLen() != 0 || s.wbuf != nil || s.held != nil || s.Pending() {
			t.Fatalf("after the failed flush: %d bytes held, buffer %v, parts %v, pending %v", s.heldLen(), s.wbuf != nil, s.held != nil, s.Pending())
		}
	})
}

// flushingWaiter is a task's waiter as the host makes it: each wait first
// flushes the socket's held output (the task's before-wait flush).
type flushingWaiter struct {
	GoWaiter
	s *Socket
}

func (f flushingWaiter) Outside(what string, probe func() bool, wait func(ctx context.Context) error) error {
	if err := f.s.Flush(f.GoWaiter); err != nil {
		return err
	}
	return f.GoWaiter.Outside(what, probe, wait)
}

// A write of held output that must wait for room runs the task's
// before-wait flush of the same socket, which must find nothing to do:
// it waited for the write slot its own write held, for ever. Each way a
// held output is written with a wait: a flush, a frame past the bound, a
// plain send.
func TestAWriteThatWaitsDoesNotWaitForItself(t *testing.T) {
	codec, err := framing.Header(10, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, end := range []string{"flush", "frame past the bound", "send"} {
		t.Run(end, func(t *testing.T) {
			c, s := pair(t, Real)
			setBuffer(t, s, unix.SO_SNDBUF, 16384)
			setBuffer(t, c, unix.SO_RCVBUF, 16384)
			w := waiter(t)
			fw := flushingWaiter{w, s}
			if _, err := c.Send(w, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := s.ReadMore(w, 1); err != nil {
				t.Fatal(err)
			}
			msg := bytes.Repeat([]byte("m"), 60000)
			if deferred, err := s.SendFrame(fw, msg, codec.Encode, nil, len(msg)+32, true); err != nil || !deferred {
				t.Fatalf("first frame: held %v, %v", deferred, err)
			}
			want := 60010 // the held frame, and what the end adds
			switch end {
			case "frame past the bound":
				want += 60010
			case "send":
				want += 4
			}
			received := make(chan int, 1)
			go func() {
				got, _, _ := c.RecvExactly(w, want)
				received <- len(got)
			}()
			var err error
			switch end {
			case "flush":
				err = s.Flush(fw)
			case "frame past the bound":
				_, err = s.SendFrame(fw, msg, codec.Encode, nil, len(msg)+32, true)
			case "send":
				_, err = s.Send(fw, []byte("tail"))
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := <-received; got != want {
				t.Fatalf("peer got %d of %d bytes", got, want)
			}
		})
	}
}
