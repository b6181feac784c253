package netio

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// goSpawner runs a shaper's worker on its own goroutine with a GoWaiter.
func goSpawner(t *testing.T) Spawner {
	return func(_ string, run func(w Waiter)) { go run(waiter(t)) }
}

func mustShape(t *testing.T, s *Socket, text string) {
	t.Helper()
	spec, err := ParseShape(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Shape(spec, goSpawner(t)); err != nil {
		t.Fatal(err)
	}
}

// Under split=N every piece is its own read at the peer: counted, not
// assumed (on loopback back-to-back small writes are merged otherwise).
func TestSplitDeliversEachPieceAsItsOwnRead(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		for _, n := range []int{1, 3} {
			c, s := pair(t, nw)
			w := waiter(t)
			mustShape(t, c, "split="+string(rune('0'+n)))
			msg := "22        Welcome to the server!"
			c.Send(w, []byte(msg))
			var reads []string
			for got := 0; got < len(msg); {
				p, err := s.Recv(w, 100)
				if err != nil {
					t.Fatal(err)
				}
				reads = append(reads, string(p))
				got += len(p)
			}
			if strings.Join(reads, "") != msg {
				t.Fatalf("split=%d: bytes %q", n, reads)
			}
			for i, r := range reads {
				want := n
				if i == len(reads)-1 {
					want = len(msg) - n*(len(reads)-1)
				}
				if len(r) != want {
					t.Fatalf("split=%d: read %d is %d bytes (%q), want %d: %q", n, i, len(r), r, want, reads)
				}
			}
		}
	})
}

func TestCoalesceMergesAWriteWithTheNext(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		mustShape(t, c, "coalesce")
		c.Send(w, []byte("first|"))
		c.Send(w, []byte("second"))
		p, _, err := s.RecvExactly(w, 12)
		if err != nil || string(p) != "first|second" {
			t.Fatalf("%q %v", p, err)
		}
		if s.rb.Len() != 0 {
			t.Fatal("more than the two writes arrived")
		}
	})
}

func TestCloseAfterEndsTheStreamMidFrame(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		mustShape(t, c, "close_after=15")
		c.Send(w, []byte("22        Welcome to the server!"))
		header := func(buf []byte) (int, []byte, error) {
			if len(buf) < 32 {
				return 0, nil, nil
			}
			return 32, buf[10:32], nil
		}
		msg, partial, err := s.RecvFrame(w, header)
		if msg != nil || !errors.Is(err, ErrClosed) || string(partial) != "22        Welco" {
			t.Fatalf("got %q, %v, partial %q", msg, err, partial)
		}
	})
}

func TestResetAfterResetsTheConnection(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		mustShape(t, c, "reset_after=4")
		c.Send(w, []byte("abcdefgh"))
		var got []byte
		var err error
		for err == nil {
			var p []byte
			p, err = s.Recv(w, 100)
			got = append(got, p...)
			if len(p) == 0 && err == nil {
				break
			}
		}
		if Message(err) != "connection reset" || len(got) > 4 {
			t.Fatalf("got %q then %v", got, err)
		}
	})
}

func TestDelayShiftsArrivals(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		c, s := pair(t, nw)
		w := waiter(t)
		mustShape(t, c, "delay=0.05")
		start := time.Now()
		c.Send(w, []byte("x"))
		if _, _, err := s.RecvExactly(w, 1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Fatalf("arrived after %v, want at least the 50 ms delay", d)
		}
	})
}

// Dropping datagrams with a seed drops the same ones every run.
func TestDatagramDropIsTheSameForASeed(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, nw Network) {
		run := func() string {
			w := waiter(t)
			a, _ := New(nw, AF_INET, SOCK_DGRAM)
			b, _ := New(nw, AF_INET, SOCK_DGRAM)
			defer a.Close()
			defer b.Close()
			b.Bind("127.0.0.1:0")
			mustShape(t, a, "drop=0.5,seed=42")
			for i := range 20 {
				a.SendTo(w, []byte{'a' + byte(i)}, b.LocalAddr().String())
			}
			a.SendTo(w, []byte("."), "") // fails: no peer; ends nothing
			b.SetTimeout(100 * time.Millisecond)
			var got []byte
			for {
				p, _, err := b.RecvFrom(w, 10)
				if err != nil {
					break
				}
				got = append(got, p...)
			}
			return string(got)
		}
		first := run()
		if len(first) == 0 || len(first) == 20 {
			t.Fatalf("drop=0.5 kept %d of 20", len(first))
		}
		if again := run(); again != first {
			t.Fatalf("seed 42 kept %q, then %q", first, again)
		}
	})
}

func TestParseShapeErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"split=0", `split must be a whole number >= 1, not "0"`},
		{"delay=-1", `delay must be a number >= 0, not "-1"`},
		{"drop=2", `drop must be between 0 and 1, not 2`},
		{"coalesce=maybe", `coalesce must be true or false, not "maybe"`},
		{"spilt=3", `unknown shaping "spilt" (known: close_after, coalesce, delay, drop, duplicate, jitter, reorder, reset_after, seed, split)`},
	}
	for _, c := range cases {
		if _, err := ParseShape(c.text); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.text, err, c.want)
		}
	}
	sp, err := ParseShape("split=3, delay=0.01,coalesce")
	if err != nil || sp.String() != "split=3,delay=0.01,coalesce=true" {
		t.Fatalf("%v %q", err, sp.String())
	}
}
