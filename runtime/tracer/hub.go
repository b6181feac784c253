// Package tracer turns what sockets do (netio events) into the wire
// trace: numbered events with a time, the task, a short connection name
// (c1, l1, u1) and both endpoints, the bytes, and on framed sockets where
// each frame begins and ends against the reads that carry it. A Hub does
// that once and hands every event to its sinks: text or hex lines, JSON
// Lines, a recording, a Lua callback, the live page.
package tracer

import (
	"context"
	"encoding/base64"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"netplay/runtime/netio"
	"netplay/runtime/wiretrace"
)

// Sink receives the trace's events, one at a time, in order. Each event is
// new (a sink may keep it) and must not be changed.
type Sink interface {
	Event(ev *wiretrace.Event)
}

// SinkFunc is a function as a Sink.
type SinkFunc func(ev *wiretrace.Event)

// Event implements Sink.
func (f SinkFunc) Event(ev *wiretrace.Event) { f(ev) }

// TaskInfo names the task whose context ctx is: its number and name, or
// 0 and "" when there is none.
type TaskInfo func(ctx context.Context) (id int, name string)

// Hub is a host's one trace. Install its Tap on sockets.
type Hub struct {
	mu     sync.Mutex
	clock  func() time.Time
	start  time.Time
	task   TaskInfo
	seq    int
	conns  map[*netio.Socket]*conn
	counts map[string]int // per prefix: c, l, u
	sinks  []*sinkEntry
}

type sinkEntry struct {
	s      Sink
	filter func(*netio.Socket) bool // nil: every socket
}

// conn is what the hub knows of one socket.
type conn struct {
	name   string
	proto  string
	tls    bool
	local  string
	remote string
	out    stream // what this side sends
	in     stream // what it receives
}

// stream is one direction of a connection: its offset, and the frame in
// progress when a codec frames it.
type stream struct {
	offset   int64  // bytes so far
	frames   int    // frame events so far
	consumed int64  // bytes the received frames took
	tracked  int    // frames the chunks completed (track)
	cur      []byte // the bytes of the frame in progress
	lost     bool   // a frame too long to follow: spans stop
}

// NewHub returns a hub reading time from clock and naming tasks with task.
func NewHub(clock func() time.Time, task TaskInfo) *Hub {
	return &Hub{clock: clock, start: clock(), task: task, conns: map[*netio.Socket]*conn{}, counts: map[string]int{}}
}

// Add makes s receive every event from now on; filter, when not nil,
// keeps only the events of the sockets it accepts. It returns a func that
// removes s.
func (h *Hub) Add(s Sink, filter func(*netio.Socket) bool) (remove func()) {
	e := &sinkEntry{s, filter}
	h.mu.Lock()
	h.sinks = append(h.sinks, e)
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, x := range h.sinks {
			if x == e {
				h.sinks = append(h.sinks[:i], h.sinks[i+1:]...)
				return
			}
		}
	}
}

// Empty reports whether no sink is left.
func (h *Hub) Empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sinks) == 0
}

// Name is the short name the trace gives s ("" until it has an event).
func (h *Hub) Name(s *netio.Socket) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.conns[s]; c != nil {
		return c.name
	}
	return ""
}

// Socket is the socket the trace calls name, or nil.
func (h *Hub) Socket(name string) *netio.Socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s, c := range h.conns {
		if c.name == name {
			return s
		}
	}
	return nil
}

// Tap is the netio.Tap to install on sockets.
func (h *Hub) Tap(s *netio.Socket, nev netio.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sinks) == 0 {
		return
	}
	c := h.connOf(s, nev)
	now := h.clock()
	ev := &wiretrace.Event{
		Time:   float64(now.UnixMicro()) / 1e6,
		Rel:    float64(now.Sub(h.start).Microseconds()) / 1e6,
		Conn:   c.name,
		Proto:  c.proto,
		TLS:    c.tls,
		Local:  c.local,
		Remote: c.remote,
		Event:  nev.Kind,
	}
	if nev.Ctx != nil && h.task != nil {
		ev.Task, ev.TaskName = h.task(nev.Ctx)
	}
	h.fill(s, c, nev, ev)
	h.seq++
	ev.Seq = h.seq
	for _, e := range h.sinks {
		if e.filter == nil || e.filter(s) {
			e.s.Event(ev)
		}
	}
	if nev.Kind == wiretrace.Close {
		delete(h.conns, s)
	}
}

// connOf is the hub's record of s, made (and named) at its first event.
func (h *Hub) connOf(s *netio.Socket, nev netio.Event) *conn {
	c := h.conns[s]
	if c == nil {
		prefix := "c"
		switch {
		case s.Type() == netio.SOCK_DGRAM:
			prefix = "u"
		case s.IsListening() || nev.Kind == wiretrace.Listen:
			prefix = "l"
		}
		h.counts[prefix]++
		c = &conn{name: prefix + itoa(h.counts[prefix]), proto: s.Kind()}
		h.conns[s] = c
	}
	// Addresses can appear later (a bound socket connects).
	if a := s.LocalAddr(); a != nil {
		c.local = addr(a)
	}
	if a := s.RemoteAddr(); a != nil {
		c.remote = addr(a)
	}
	if !c.tls {
		if _, ok := s.TLSInfo(); ok {
			c.tls = true
		}
	}
	return c
}

// fill sets the fields of ev that depend on the kind of event.
func (h *Hub) fill(s *netio.Socket, c *conn, nev netio.Event, ev *wiretrace.Event) {
	switch nev.Kind {
	case wiretrace.Send, wiretrace.Recv:
		st := &c.in
		ev.Dir = "in"
		if nev.Out {
			st, ev.Dir = &c.out, "out"
		}
		ev.N = len(nev.Data)
		ev.Offset = st.offset
		setData(ev, nev.Data)
		if name, f := s.Framer(); f != nil && s.Type() == netio.SOCK_STREAM {
			ev.Codec = name
			ev.Frames = st.track(f, nev.Data)
		}
		st.offset += int64(len(nev.Data))
	case wiretrace.Frame:
		st := &c.in
		ev.Dir = "in"
		if nev.Out {
			st, ev.Dir = &c.out, "out"
		}
		st.frames++
		ev.FrameNo = st.frames
		ev.Codec = nev.Codec
		ev.N = len(nev.Data)
		ev.Header = max(0, nev.Used-len(nev.Data))
		setData(ev, nev.Data)
		if nev.Out {
			// A frame sent is counted before its bytes are written.
			ev.Start = st.offset
		} else {
			ev.Start = st.offsetOfFrame(nev.Used)
		}
		ev.End = ev.Start + int64(nev.Used)
	case wiretrace.EOF:
		ev.Dir = "in"
		ev.Offset = c.in.offset
	case wiretrace.Shape:
		ev.Dir = "out"
		ev.Action = nev.Action
		ev.N = len(nev.Data) // the piece's size; its bytes show in the send and recv
	case wiretrace.Shutdown:
		ev.How = nev.How
	case wiretrace.Timeout:
		ev.Op = nev.Op
	case wiretrace.Reset:
		ev.Op = nev.Op
		ev.Dir = "in"
		if nev.Out {
			ev.Dir = "out"
		}
	case wiretrace.Error:
		ev.Op = nev.Op
		if nev.Err != nil {
			ev.Err = netio.Message(nev.Err)
		}
	case wiretrace.Accept:
		if nev.Via != nil {
			if lc := h.conns[nev.Via]; lc != nil {
				ev.Via = lc.name
			}
		}
	case wiretrace.TLS:
		if nev.Err != nil {
			ev.Err = nev.Err.Error()
		} else if st, ok := s.TLSInfo(); ok {
			ev.TLS = true
			ev.TLSVersion, ev.Cipher, ev.ALPN = st.Version, st.Cipher, st.ALPN
		}
	}
}

// offsetOfFrame is where a frame just received started: the frames that
// came before it, counted by the bytes consumed.
func (st *stream) offsetOfFrame(used int) int64 {
	start := st.consumed
	st.consumed += int64(used)
	return start
}

// setData puts p in ev as text when it is valid UTF-8, else in base64.
func setData(ev *wiretrace.Event, p []byte) {
	if utf8.Valid(p) {
		t := string(p)
		ev.Text = &t
		return
	}
	ev.B64 = base64.StdEncoding.EncodeToString(p)
}

// addr writes an address as scripts see it.
func addr(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// maxTracked bounds the bytes of one frame the trace keeps to follow it.
const maxTracked = 4 << 20

// track counts a chunk against the frames of the stream and says, for
// each frame the chunk carries, how far it has come: its header and body
// bytes so far, out of how many (-1 while unknown).
func (st *stream) track(f netio.Framer, p []byte) []wiretrace.FrameSpan {
	if st.lost {
		return nil
	}
	var spans []wiretrace.FrameSpan
	for len(p) > 0 {
		all := append(st.cur[:len(st.cur):len(st.cur)], p...)
		h, b, tr, ok := f.FrameSize(all)
		take := len(p)
		if ok && h+b+tr-len(st.cur) < take {
			take = h + b + tr - len(st.cur)
		}
		st.cur = append(st.cur, p[:take]...)
		p = p[take:]
		spans = append(spans, span(st.tracked+1, len(st.cur), h, b, ok))
		if ok && len(st.cur) == h+b+tr {
			st.tracked++
			st.cur = nil
		}
		if len(st.cur) > maxTracked {
			st.lost, st.cur = true, nil
			break
		}
	}
	return spans
}

// span is frame n's progress with have bytes of it: header and body.
func span(n, have, header, body int, known bool) wiretrace.FrameSpan {
	sp := wiretrace.FrameSpan{Frame: n, HeaderWant: header, BodyWant: -1}
	if header < 0 {
		sp.HeaderHave = have
		return sp
	}
	sp.HeaderHave = min(have, header)
	sp.BodyHave = max(0, have-header)
	if known {
		sp.BodyWant = body
		sp.BodyHave = min(sp.BodyHave, body)
	}
	return sp
}
