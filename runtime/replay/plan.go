// Package replay plays one side of a recorded session (netplay --record)
// back against a live program on loopback, and checks that the live
// program sends what the recording says it sent, byte for byte. It is the
// engine of netplay replay and of Lua's replay.peer.
//
// # Sides
//
// A recording holds each connection as one program saw it: a connection
// that has a connect event is a client's, one with an accept event a
// server's. To play the server, netplay stands in for the peer of every
// client-side connection: the bytes the recorded client received are the
// bytes netplay sends (one write per recorded chunk, so the chunking is
// kept), the bytes it sent are the bytes netplay expects from the live
// client. Playing the client mirrors a server-side connection the same
// way. A recording that holds both ends of its connections (server and
// client in one process) can therefore be played either way.
//
// # Order
//
// Within a connection the steps run strictly in the recorded order (seq).
// Across connections netplay never acts early: a write, a close or a
// connect waits until every step recorded before it on the other
// connections has happened (bytes expected from the live program have
// arrived, connections expected have been made). What the live program
// sends may arrive early, on any connection: it waits in the socket until
// its step comes. Every wait for the live program is bounded by
// Options.Timeout, counted from when the recording says it is due (the
// steps before it done), so a replay always ends, and a connection that
// was recorded long after another is not expected before its time.
package replay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"

	"netplay/runtime/wiretrace"
)

// Side is the part netplay plays.
type Side int

// The sides.
const (
	Server Side = iota + 1 // netplay listens; the live program is the client
	Client                 // netplay connects; the live program is the server
)

// ParseSide reads "server" or "client".
func ParseSide(s string) (Side, error) {
	switch s {
	case "server":
		return Server, nil
	case "client":
		return Client, nil
	}
	return 0, fmt.Errorf("--as must be server or client, not %q", s)
}

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Live is the live program's part: the other side.
func (s Side) Live() string {
	if s == Client {
		return "server"
	}
	return "client"
}

// opens is the event that makes a connection of the kind side plays
// against: a client's connect when netplay is the server.
func (s Side) opens() string {
	if s == Client {
		return wiretrace.Accept
	}
	return wiretrace.Connect
}

// Op is what netplay does at a step.
type Op int

// The steps.
const (
	Write      Op = iota + 1 // send Data to the live program (the recorded program received it)
	Expect                   // receive Data from the live program (the recorded program sent it)
	CloseWrite               // end netplay's direction: the recorded program saw the end of the stream
	ExpectEnd                // the live program ends its direction: the recorded one shut down, closed or reset
	Reset                    // reset the connection: the recorded program saw a reset
)

// Step is one thing netplay does or expects on a connection, made from one
// recorded event.
type Step struct {
	Op     Op
	Seq    int     // the recorded event's seq
	Event  string  // its kind: recv, send, eof, shutdown, close, reset
	Offset int64   // Write, Expect: the first byte's offset in its direction
	Data   []byte  // Write, Expect: the bytes
	Rel    float64 // when it happened: seconds since the recording began
}

// Conn is one recorded connection to play against.
type Conn struct {
	Name          string  // as recorded: "c1"
	Open          int     // the seq of its connect (or accept) event
	OpenRel       float64 // and when it happened
	Local, Remote string  // the addresses the recorded program saw
	Steps         []Step
	// Sends is every byte netplay sends on the connection, Expects every
	// byte it expects, each as one stream (for the report's context).
	Sends, Expects []byte
}

// Plan is what netplay does on every connection, for one side.
type Plan struct {
	Side  Side
	Conns []*Conn // in the order the recording opened them
	// Start is when the first of them opened (seconds since the recording
	// began): the origin of the recorded times when they are kept.
	Start float64
}

// ErrNothingToPlay is wrapped by NewPlan's error when the recording has no
// connection of the kind the side plays against.
var ErrNothingToPlay = errors.New("nothing to replay")

// NewPlan reads the recorded events (any order; seq orders them) into
// the steps netplay takes playing side. It fails when the recording has no
// connection to play against, or one that cannot be replayed: bytes left
// out (a --trace=json trace, not a recording), a gap in a stream, TLS or
// a Unix socket.
func NewPlan(events []wiretrace.Event, side Side) (*Plan, error) {
	evs := append([]wiretrace.Event(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
	plan := &Plan{Side: side}
	byName := map[string]*Conn{}
	ended := map[string]bool{}     // the connection's last step is made
	opposite := 0                  // connections of the other kind, for the error
	expectEnd := map[string]bool{} // an ExpectEnd step is made
	for _, ev := range evs {
		switch ev.Event {
		case side.opens():
			if strings.HasPrefix(ev.Proto, "udp") {
				continue // datagrams: no stream to replay
			}
			if _, dup := byName[ev.Conn]; dup {
				return nil, fmt.Errorf("event %d: %s opened twice", ev.Seq, ev.Conn)
			}
			if ev.Proto != "tcp" && ev.Proto != "tcp6" {
				return nil, fmt.Errorf("event %d: %s is a %s connection: replay plays TCP only", ev.Seq, ev.Conn, protoName(ev.Proto))
			}
			c := &Conn{Name: ev.Conn, Open: ev.Seq, OpenRel: ev.Rel, Local: ev.Local, Remote: ev.Remote}
			if len(plan.Conns) == 0 {
				plan.Start = ev.Rel
			}
			byName[ev.Conn] = c
			plan.Conns = append(plan.Conns, c)
			continue
		case wiretrace.Connect, wiretrace.Accept:
			opposite++
			continue
		}
		c := byName[ev.Conn]
		if c == nil || ended[c.Name] {
			continue
		}
		if ev.TLS {
			return nil, fmt.Errorf("event %d: %s runs TLS: replay plays plain TCP only", ev.Seq, ev.Conn)
		}
		step, ok, err := stepOf(ev, c)
		if err != nil {
			return nil, fmt.Errorf("event %d: %s %s: %w", ev.Seq, ev.Conn, ev.Event, err)
		}
		if !ok || (step.Op == ExpectEnd && expectEnd[c.Name]) {
			if ev.Event == wiretrace.Close {
				ended[c.Name] = true
			}
			continue
		}
		switch step.Op {
		case Write:
			c.Sends = append(c.Sends, step.Data...)
		case Expect:
			c.Expects = append(c.Expects, step.Data...)
		case ExpectEnd:
			expectEnd[c.Name] = true
		}
		c.Steps = append(c.Steps, step)
		if step.Op == Reset || ev.Event == wiretrace.Close || ev.Event == wiretrace.Reset {
			ended[c.Name] = true
		}
	}
	if len(plan.Conns) == 0 {
		kind := "client-side connection (no connect event)"
		if side == Client {
			kind = "server-side connection (no accept event)"
		}
		hint := ""
		if opposite > 0 {
			hint = fmt.Sprintf(": it was recorded on the %s's side; replay it --as %s", side, side.Live())
		}
		return nil, fmt.Errorf("%w: the recording has no %s to play the %s against%s", ErrNothingToPlay, kind, side, hint)
	}
	return plan, nil
}

// stepOf is the step a recorded event of c makes, if any.
func stepOf(ev wiretrace.Event, c *Conn) (Step, bool, error) {
	s := Step{Seq: ev.Seq, Event: ev.Event, Offset: ev.Offset, Rel: ev.Rel}
	switch ev.Event {
	case wiretrace.Recv, wiretrace.Send:
		if ev.Cut > 0 {
			return s, false, fmt.Errorf("%d of its %d bytes were left out (a --trace=json trace keeps 4 KiB an event; replay needs a recording: netplay --record FILE)", ev.Cut, ev.N)
		}
		s.Data = ev.Data()
		stream := c.Sends
		s.Op = Write
		if ev.Event == wiretrace.Send {
			stream, s.Op = c.Expects, Expect
		}
		if ev.Offset != int64(len(stream)) {
			return s, false, fmt.Errorf("at offset %d, but the recording has %d bytes of that direction before it (events are missing)", ev.Offset, len(stream))
		}
		return s, len(s.Data) > 0, nil
	case wiretrace.EOF:
		s.Op, s.Offset = CloseWrite, int64(len(c.Sends))
		return s, true, nil
	case wiretrace.Shutdown:
		s.Op, s.Offset = ExpectEnd, int64(len(c.Expects))
		return s, ev.How == "w" || ev.How == "rw", nil
	case wiretrace.Close:
		s.Op, s.Offset = ExpectEnd, int64(len(c.Expects))
		return s, true, nil
	case wiretrace.Reset:
		if ev.Op == "close" { // the recorded program reset it itself
			s.Op, s.Offset = ExpectEnd, int64(len(c.Expects))
			return s, true, nil
		}
		s.Op, s.Offset = Reset, int64(len(c.Sends))
		return s, true, nil
	}
	return s, false, nil // frame, timeout, error, shape, listen: not steps
}

func protoName(p string) string {
	if strings.HasPrefix(p, "unix") {
		return "Unix socket"
	}
	return p
}

// DefaultAddr is where netplay listens as the server when no address is
// given: 127.0.0.1 and the port the recorded client connected to. It is
// "" when the recording does not say.
func (p *Plan) DefaultAddr() string {
	for _, c := range p.Conns {
		if _, port, err := net.SplitHostPort(c.Remote); err == nil && port != "" {
			return net.JoinHostPort("127.0.0.1", port)
		}
	}
	return ""
}

// describe names a step's recorded event for a report: "event 4: c1 send
// of 7 bytes at offset 0".
func (c *Conn) describe(s Step) string {
	switch s.Op {
	case Write, Expect:
		return fmt.Sprintf("event %d: %s %s of %d bytes at offset %d", s.Seq, c.Name, s.Event, len(s.Data), s.Offset)
	}
	return fmt.Sprintf("event %d: %s %s", s.Seq, c.Name, s.Event)
}

// ReadPlan reads the recording in file and makes the plan for side; its
// errors name the file (and the line, for a line that is not a trace
// event). netplay replay and replay.peer both read recordings this way.
func ReadPlan(file string, side Side) (*Plan, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	events, err := wiretrace.ReadJSONL(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	plan, err := NewPlan(events, side)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return plan, nil
}
