package replay

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/netio"
	"netplay/runtime/wiretrace"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every replay in these tests.
const testTimeout = 10 * time.Second

// rec builds a recording event by event: seq and rel count up.
type rec struct{ events []wiretrace.Event }

func (r *rec) add(conn, kind string, edit func(*wiretrace.Event)) *rec {
	n := len(r.events) + 1
	ev := wiretrace.Event{Seq: n, Time: 1e9 + float64(n), Rel: float64(n), Conn: conn, Proto: "tcp", Event: kind}
	if edit != nil {
		edit(&ev)
	}
	r.events = append(r.events, ev)
	return r
}

// open adds a connect (the client's view) or an accept (the server's).
func (r *rec) open(conn, kind string) *rec {
	return r.add(conn, kind, func(e *wiretrace.Event) {
		e.Local, e.Remote = "127.0.0.1:50000", "127.0.0.1:5000"
		if kind == wiretrace.Accept {
			e.Local, e.Remote, e.Via = "127.0.0.1:5000", "127.0.0.1:50000", "l1"
		}
	})
}

// data adds a send or recv of s, at the next offset of its direction.
func (r *rec) data(conn, kind, s string) *rec {
	var off int64
	for _, e := range r.events {
		if e.Conn == conn && e.Event == kind {
			off += int64(e.N)
		}
	}
	return r.add(conn, kind, func(e *wiretrace.Event) {
		e.Dir, e.N, e.Offset, e.Text = "in", len(s), off, &s
		if kind == wiretrace.Send {
			e.Dir = "out"
		}
	})
}

func (r *rec) plan(t *testing.T, side Side) *Plan {
	t.Helper()
	for _, e := range r.events {
		if err := wiretrace.Validate(e); err != nil {
			t.Fatalf("event %d: %v", e.Seq, err)
		}
	}
	p, err := NewPlan(r.events, side)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A client's view: ping, pong, both sides close.
func pingClient() *rec {
	r := &rec{}
	r.open("c1", wiretrace.Connect).data("c1", wiretrace.Send, "ping\n").data("c1", wiretrace.Recv, "pong\n")
	r.add("c1", wiretrace.Shutdown, func(e *wiretrace.Event) { e.How = "w" })
	r.add("c1", wiretrace.EOF, func(e *wiretrace.Event) { e.Dir, e.Offset = "in", 5 })
	return r.add("c1", wiretrace.Close, nil)
}

func TestPlanMirrorsTheRecordedSide(t *testing.T) {
	p := pingClient().plan(t, Server)
	var ops []string
	for _, s := range p.Conns[0].Steps {
		ops = append(ops, map[Op]string{Write: "write", Expect: "expect", CloseWrite: "close-write", ExpectEnd: "expect-end", Reset: "reset"}[s.Op]+" "+string(s.Data))
	}
	got := strings.Join(ops, "|")
	if want := "expect ping\n|write pong\n|expect-end |close-write "; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if p.DefaultAddr() != "127.0.0.1:5000" {
		t.Fatalf("default address %q", p.DefaultAddr())
	}
	if string(p.Conns[0].Expects) != "ping\n" || string(p.Conns[0].Sends) != "pong\n" {
		t.Fatalf("streams %q %q", p.Conns[0].Expects, p.Conns[0].Sends)
	}
}

func TestPlanErrors(t *testing.T) {
	_, err := NewPlan(pingClient().events, Client)
	if !errors.Is(err, ErrNothingToPlay) || !strings.Contains(err.Error(), "it was recorded on the client's side; replay it --as server") {
		t.Fatalf("client side of a client recording: %v", err)
	}
	cut := pingClient()
	cut.events[1].Cut, cut.events[1].N = 10, 15
	if _, err := NewPlan(cut.events, Server); err == nil || !strings.Contains(err.Error(), "event 2: c1 send: 10 of its 15 bytes were left out") {
		t.Fatalf("cut: %v", err)
	}
	gap := pingClient()
	gap.events[2].Offset = 3
	if _, err := NewPlan(gap.events, Server); err == nil || !strings.Contains(err.Error(), "event 3: c1 recv: at offset 3, but the recording has 0 bytes") {
		t.Fatalf("gap: %v", err)
	}
	tls := pingClient()
	tls.events[1].TLS = true
	if _, err := NewPlan(tls.events, Server); err == nil || !strings.Contains(err.Error(), "runs TLS") {
		t.Fatalf("tls: %v", err)
	}
}

// listen returns a listening socket on 127.0.0.1:0.
func listen(t *testing.T) *netio.Socket {
	t.Helper()
	ln, err := netio.Listen(netio.Real, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serve plays plan as the server in the background; the result comes on
// the channel.
func serve(t *testing.T, plan *Plan, opts Options) (string, <-chan *Result) {
	t.Helper()
	ln := listen(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	done := make(chan *Result, 1)
	go func() { done <- Serve(netio.GoWaiter{Ctx: ctx}, ln, plan, opts) }()
	t.Cleanup(cancel)
	return ln.LocalAddr().String(), done
}

func result(t *testing.T, done <-chan *Result) *Result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(testTimeout + time.Second):
		t.Fatal("the replay did not end")
	}
	return nil
}

// dial connects a Go client to addr.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServeMatches(t *testing.T) {
	addr, done := serve(t, pingClient().plan(t, Server), Options{})
	c := dial(t, addr)
	io.WriteString(c, "ping\n")
	reply, _ := bufio.NewReader(c).ReadString('\n')
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
		t.Fatalf("after the reply: %q, %v", rest, err)
	}
	r := result(t, done)
	if reply != "pong\n" || !r.OK() || len(r.Conns) != 1 || r.Conns[0].Sent != 5 || r.Conns[0].Received != 5 || r.Conns[0].Ended != "closed" {
		t.Fatalf("reply %q, result %+v %+v", reply, r, r.Diff)
	}
}

func TestServeReportsAMismatch(t *testing.T) {
	addr, done := serve(t, pingClient().plan(t, Server), Options{})
	c := dial(t, addr)
	io.WriteString(c, "pink\n")
	r := result(t, done)
	if r.Diff == nil || r.Diff.Kind != Mismatch || r.Diff.Offset != 3 || r.Diff.Event != "event 2: c1 send of 5 bytes at offset 0" {
		t.Fatalf("result %+v", r.Diff)
	}
}

// A client that resets where the recorded one closed left bytes unread.
func TestServeResetAtTheEnd(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Connect).data("c1", wiretrace.Send, "hi").data("c1", wiretrace.Recv, "bye").add("c1", wiretrace.Close, nil)
	addr, done := serve(t, r.plan(t, Server), Options{})
	c := dial(t, addr)
	io.WriteString(c, "hi")
	b := make([]byte, 1)
	io.ReadFull(c, b) // one of the three bytes: the rest stays unread
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	res := result(t, done)
	if res.Diff == nil || res.Diff.Kind != ResetAtEnd {
		t.Fatalf("result %+v", res.Diff)
	}
}

func TestServeExtraConnection(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Connect).data("c1", wiretrace.Send, "hi")
	addr, done := serve(t, r.plan(t, Server), Options{})
	dial(t, addr) // says nothing: c1 waits
	dial(t, addr)
	res := result(t, done)
	if res.Diff == nil || res.Diff.Kind != ExtraConn || !strings.HasPrefix(res.Diff.Report(), "the client opened connection 2 (from 127.0.0.1:") {
		t.Fatalf("result %+v", res.Diff)
	}
}

// Two connections recorded on the server: c2 opened only after c1's
// reply had gone out. Playing the client, netplay connects c2 only once
// c1's reply has arrived: a server that holds the reply back until a
// second client comes gets no second client, and says nothing.
func TestConnectKeepsTheOrderAcrossConnections(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Accept).data("c1", wiretrace.Recv, "a").data("c1", wiretrace.Send, "A")
	r.open("c2", wiretrace.Accept).data("c2", wiretrace.Recv, "b").data("c2", wiretrace.Send, "B")
	plan := r.plan(t, Client)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	quit := make(chan struct{})
	t.Cleanup(func() { ln.Close(); close(quit); wg.Wait() })
	second := make(chan struct{})
	wg.Add(1)
	go func() { // the impatient server
		defer wg.Done()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			wg.Add(1)
			go func(i int, c net.Conn) {
				defer wg.Done()
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err != nil {
					return
				}
				if i == 0 {
					select {
					case <-second:
					case <-quit:
						return
					}
				} else {
					close(second)
				}
				c.Write([]byte{b[0] - 'a' + 'A'})
			}(i, c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res := Connect(netio.GoWaiter{Ctx: ctx}, ln.Addr().String(), plan, Options{Timeout: 200 * time.Millisecond})
	if res.Diff == nil || res.Diff.Kind != Silent || res.Diff.Conn != "c1" {
		t.Fatalf("result %+v", res.Diff)
	}
}

// With both connections in the recorded order, the same server matches.
func TestConnectTwoConnections(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Accept).data("c1", wiretrace.Recv, "a")
	r.open("c2", wiretrace.Accept).data("c2", wiretrace.Recv, "b").data("c2", wiretrace.Send, "B")
	r.data("c1", wiretrace.Send, "A")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(testTimeout))
				b := make([]byte, 1)
				for {
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					c.Write([]byte{b[0] - 'a' + 'A'})
				}
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res := Connect(netio.GoWaiter{Ctx: ctx}, ln.Addr().String(), r.plan(t, Client), Options{Timeout: testTimeout})
	if !res.OK() || len(res.Conns) != 2 {
		t.Fatalf("result %+v %+v", res, res.Diff)
	}
}

// Speed keeps the recorded time between writes (here 1 s, ten times
// faster).
func TestSpeedKeepsTheRecordedTime(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Connect).data("c1", wiretrace.Recv, "1")
	r.add("c1", wiretrace.Frame, func(e *wiretrace.Event) { // an event that is not a step, a second later
		s := "1"
		e.Dir, e.N, e.Text, e.FrameNo, e.End = "in", 1, &s, 1, 1
	})
	r.data("c1", wiretrace.Recv, "2")
	addr, done := serve(t, r.plan(t, Server), Options{Speed: 10})
	c := dial(t, addr)
	b := make([]byte, 1)
	io.ReadFull(c, b)
	start := time.Now()
	io.ReadFull(c, b)
	if gap := time.Since(start); gap < 150*time.Millisecond {
		t.Fatalf("the second write came %v after the first, want 0.2s", gap)
	}
	if res := result(t, done); !res.OK() {
		t.Fatalf("result %+v", res.Diff)
	}
}

func TestCancelEndsTheReplay(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result, 1)
	go func() { done <- Serve(netio.GoWaiter{Ctx: ctx}, ln, pingClient().plan(t, Server), Options{}) }()
	dial(t, ln.LocalAddr().String())
	cancel()
	if res := result(t, done); !res.Cancelled || res.Diff != nil {
		t.Fatalf("result %+v", res)
	}
}

// The report's words for each kind of difference.
func TestReports(t *testing.T) {
	exp := []byte("ping 1\nping 2\n")
	cases := []struct {
		d    Difference
		want string
	}{
		{Difference{Kind: EndedEarly, Side: Server, Conn: "c1", Event: "event 5: c1 send of 7 bytes at offset 7", Offset: 9, Expected: exp, Received: exp[:9], Missing: 5},
			"c1: the client closed the connection at offset 9; the recording has 5 more bytes\n" +
				"  recorded as event 5: c1 send of 7 bytes at offset 7\n" +
				"  expected (what the recorded client sent):\n" +
				"    00000000: 7069 6e67 2031 0a70 696e 6720 320a       ping 1.ping 2.\n" +
				"                                    ^^                          ^\n" +
				"  received:\n" +
				"    00000000: 7069 6e67 2031 0a70 69                   ping 1.pi\n" +
				"    (ends at offset 9)\n"},
		{Difference{Kind: Silent, Side: Client, Conn: "c2", Offset: 0, Expected: []byte("A"), Wait: 200 * time.Millisecond, Missing: 1},
			"c2: nothing from the server for 0.2s at offset 0; the recording has 1 more byte\n" +
				"  expected (what the recorded server sent):\n" +
				"    00000000: 41                                       A\n" +
				"              ^^                                       ^\n" +
				"  received:\n" +
				"    (nothing)\n"},
		{Difference{Kind: NoConn, Side: Server, Conn: "c2", Event: "event 4: c2 connect", Wait: 10 * time.Second, Count: 1},
			"c2: no connection from the client within 10s (1 of the recording's connections came)\n  recorded as event 4: c2 connect\n"},
		{Difference{Kind: DialFailed, Side: Client, Conn: "c1", Addr: "127.0.0.1:1", Err: "connection refused"},
			"c1: cannot connect to the server at 127.0.0.1:1: connection refused\n"},
		{Difference{Kind: Gone, Side: Server, Conn: "c1", Event: "event 6: c1 recv of 39 bytes at offset 32", Offset: 32, Missing: 78, Err: "it closed the connection"},
			"c1: the client was gone before it had received everything (it closed the connection): netplay had 78 more bytes to send, from offset 32 of its stream\n  recorded as event 6: c1 recv of 39 bytes at offset 32\n"},
		{Difference{Kind: ResetAtEnd, Side: Server, Conn: "c1", Event: "event 8: c1 close", Offset: 2},
			"c1: the client reset the connection at offset 2 where the recorded client closed it: it left bytes netplay sent unread\n  recorded as event 8: c1 close\n"},
		{Difference{Kind: WriteStuck, Side: Client, Conn: "c1", Offset: 65536, Wait: time.Second},
			"c1: the server read nothing for 1s; netplay's send at offset 65536 is stuck\n"},
	}
	for _, c := range cases {
		if got := c.d.Report(); got != c.want {
			t.Errorf("kind %d:\n%s\nwant\n%s", c.d.Kind, got, c.want)
		}
	}
}

// The dump shows the line before the offset's, its own and the one after,
// at stream offsets.
func TestDumpAroundALongStream(t *testing.T) {
	s := []byte(strings.Repeat("0123456789abcdef", 8))
	got := dumpAround(s, 50, "")
	want := "00000020: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n" +
		"00000030: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n" +
		"               ^^                                    ^\n" +
		"00000040: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n" +
		"... (128 bytes in all)\n"
	if got != want {
		t.Fatalf("\n%s\nwant\n%s", got, want)
	}
}

// Each wait for the live client counts from when the recording says it
// is due: a slow client whose every step comes within the timeout
// matches, though the whole exchange takes longer.
func TestTimeoutsCountFromWhenAStepIsDue(t *testing.T) {
	r := &rec{}
	r.open("c1", wiretrace.Connect).data("c1", wiretrace.Send, "x")
	r.open("c2", wiretrace.Connect).data("c2", wiretrace.Send, "y")
	const timeout = 300 * time.Millisecond
	addr, done := serve(t, r.plan(t, Server), Options{Timeout: timeout})
	slow := func() { time.Sleep(timeout * 2 / 3) } // the client's own pace, not a synchronisation
	c1 := dial(t, addr)
	slow()
	io.WriteString(c1, "x")
	slow()
	c2 := dial(t, addr)
	slow()
	io.WriteString(c2, "y")
	if res := result(t, done); !res.OK() {
		t.Fatalf("result %+v", res.Diff)
	}
}
