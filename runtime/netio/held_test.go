package netio

import (
	"bytes"
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
		small bool   // 4 KiB socket buffers: short writes
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
					setBuffer(t, s, unix.SO_SNDBUF, 4096)
					setBuffer(t, c, unix.SO_RCVBUF, 4096)
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
