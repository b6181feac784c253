package traceview

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"unicode/utf8"

	"netplay/runtime/wiretrace"
)

// sim writes the events a real trace would hold for scripted traffic
// between sockets of one process, with header(10) framing: the offsets,
// the frames spans of each chunk and the frame events, as the wire trace
// (runtime/wiretrace) defines them. It makes the Part II fixture and the
// 10,000-event trace.
type sim struct {
	events []wiretrace.Event
	start  float64 // the epoch time of rel 0
	rel    float64
	nconn  int // c1, c2, ...
	nlis   int // l1, l2, ...
}

// simConn is one end of a connection.
type simConn struct {
	name, local, remote string
	task                int
	taskName            string
	out, in             simStream
}

// simStream is one direction of a connection as one end counts it.
type simStream struct {
	off    int64      // bytes so far
	frames []simFrame // frames put in (out) or found (in)
	done   int        // frames already reported by a frame event (in)
	buf    []byte     // the bytes so far
	peer   *simStream // the sending side's stream (in)
}

type simFrame struct {
	start    int64
	hdr, len int
	msg      []byte
}

const simHeader = 10

func newSim(start float64) *sim { return &sim{start: start} }

func (s *sim) tick(dt float64) { s.rel += dt }

func (s *sim) emit(e wiretrace.Event) {
	e.Seq = len(s.events) + 1
	e.Rel = round6(s.rel)
	e.Time = round6(s.start + s.rel)
	if e.Proto == "" {
		e.Proto = "tcp"
	}
	s.events = append(s.events, e)
}

func round6(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 6, 64), 64)
	return v
}

func setData(e *wiretrace.Event, p []byte) {
	e.N = len(p)
	if utf8.Valid(p) {
		s := string(p)
		e.Text = &s
	} else {
		e.B64 = base64.StdEncoding.EncodeToString(p)
	}
}

// listen makes a listener l<N> on addr.
func (s *sim) listen(addr string, task int, taskName string) string {
	s.nlis++
	name := fmt.Sprintf("l%d", s.nlis)
	s.emit(wiretrace.Event{Task: task, TaskName: taskName, Conn: name, Local: addr, Event: wiretrace.Listen})
	return name
}

// dial connects a client from clientAddr to the listener, and accepts on
// the server: the client's connect comes first.
func (s *sim) dial(listener, serverAddr, clientAddr string, ctask int, ctaskName string, stask int, staskName string) (client, server *simConn) {
	s.nconn++
	client = &simConn{name: fmt.Sprintf("c%d", s.nconn), local: clientAddr, remote: serverAddr, task: ctask, taskName: ctaskName}
	s.nconn++
	server = &simConn{name: fmt.Sprintf("c%d", s.nconn), local: serverAddr, remote: clientAddr, task: stask, taskName: staskName}
	client.in.peer, server.in.peer = &server.out, &client.out
	s.emit(s.base(client, wiretrace.Connect))
	s.tick(0.000087)
	e := s.base(server, wiretrace.Accept)
	e.Via = listener
	s.emit(e)
	return client, server
}

func (s *sim) base(c *simConn, kind string) wiretrace.Event {
	return wiretrace.Event{Task: c.task, TaskName: c.taskName, Conn: c.name, Local: c.local, Remote: c.remote, Event: kind}
}

// sendFrame frames msg with header(10) and writes it in pieces of the
// given sizes (the last piece takes the rest), dt apart; the frame event
// comes first, as the codec encodes before the writes.
func (s *sim) sendFrame(c *simConn, msg []byte, pieces []int, dt float64) {
	hdr := []byte(fmt.Sprintf("%-*d", simHeader, len(msg)))
	wire := append(hdr, msg...)
	f := simFrame{start: c.out.off, hdr: simHeader, len: len(msg), msg: msg}
	c.out.frames = append(c.out.frames, f)
	e := s.base(c, wiretrace.Frame)
	e.Dir, e.FrameNo, e.Start, e.End, e.Header, e.Codec = "out", len(c.out.frames), f.start, f.start+int64(len(wire)), simHeader, "header(10)"
	setData(&e, msg)
	s.emit(e)
	for i := 0; len(wire) > 0; i++ {
		n := len(wire)
		if i < len(pieces) && pieces[i] < n {
			n = pieces[i]
		}
		s.write(c, wire[:n], true)
		wire = wire[n:]
		if len(wire) > 0 {
			s.tick(dt)
		}
	}
}

func (s *sim) write(c *simConn, p []byte, framed bool) {
	e := s.base(c, wiretrace.Send)
	e.Dir, e.Offset = "out", c.out.off
	setData(&e, p)
	if framed {
		e.Frames = spans(c.out.frames, c.out.off, c.out.off+int64(len(p)))
	}
	s.emit(e)
	c.out.off += int64(len(p))
	c.out.buf = append(c.out.buf, p...)
}

// recv reads n bytes (or what is left) of what the peer sent; framed: the
// reader's codec reports spans and whole frames.
func (s *sim) recv(c *simConn, n int, framed bool) {
	sent := c.in.peer.buf[c.in.off:]
	if n > len(sent) {
		n = len(sent)
	}
	p := append([]byte(nil), sent[:n]...)
	e := s.base(c, wiretrace.Recv)
	e.Dir, e.Offset = "in", c.in.off
	setData(&e, p)
	c.in.buf = append(c.in.buf, p...)
	if framed {
		c.in.frames = findFrames(c.in.buf)
		e.Frames = spans(c.in.frames, c.in.off, c.in.off+int64(n))
	}
	s.emit(e)
	c.in.off += int64(n)
	for framed && c.in.done < len(c.in.frames) {
		f := c.in.frames[c.in.done]
		if f.len < 0 || f.start+int64(f.hdr+f.len) > c.in.off {
			break
		}
		c.in.done++
		s.tick(0.000004)
		fe := s.base(c, wiretrace.Frame)
		fe.Dir, fe.FrameNo, fe.Start, fe.End, fe.Header, fe.Codec = "in", c.in.done, f.start, f.start+int64(f.hdr+f.len), f.hdr, "header(10)"
		setData(&fe, f.msg)
		s.emit(fe)
	}
}

// unread is how many bytes the peer sent that c has not read.
func (c *simConn) unread() int { return len(c.in.peer.buf) - int(c.in.off) }

func (s *sim) eof(c *simConn) {
	e := s.base(c, wiretrace.EOF)
	e.Dir, e.Offset = "in", c.in.off
	s.emit(e)
}

func (s *sim) close(c *simConn) { s.emit(s.base(c, wiretrace.Close)) }

// findFrames decodes the header(10) frames of a stream's bytes so far;
// the last one may be unfinished (len -1 while its header is).
func findFrames(buf []byte) []simFrame {
	var frames []simFrame
	for off := 0; off < len(buf); {
		f := simFrame{start: int64(off), hdr: simHeader, len: -1}
		if len(buf)-off >= simHeader {
			n, err := strconv.Atoi(trimSpaces(string(buf[off : off+simHeader])))
			if err != nil {
				panic("sim: bad header in " + strconv.Quote(string(buf)))
			}
			f.len = n
			if end := off + simHeader + n; end <= len(buf) {
				f.msg = buf[off+simHeader : end]
			}
		}
		frames = append(frames, f)
		if f.len < 0 {
			break
		}
		off += simHeader + f.len
	}
	return frames
}

func trimSpaces(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// spans are the frames spans of the chunk [a, b): each frame the chunk
// carries and how much of it has been counted once the chunk is.
func spans(frames []simFrame, a, b int64) []wiretrace.FrameSpan {
	var out []wiretrace.FrameSpan
	for i, f := range frames {
		end := int64(math64Max)
		if f.len >= 0 {
			end = f.start + int64(f.hdr+f.len)
		}
		if f.start >= b || end <= a {
			continue
		}
		have := b - f.start
		sp := wiretrace.FrameSpan{Frame: i + 1, HeaderWant: f.hdr, BodyWant: -1}
		sp.HeaderHave = int(min(have, int64(f.hdr)))
		if sp.HeaderHave == f.hdr && f.len >= 0 {
			sp.BodyWant = f.len
			sp.BodyHave = int(min(have-int64(f.hdr), int64(f.len)))
		}
		out = append(out, sp)
	}
	return out
}

const math64Max = 1<<63 - 1

func writeJSONL(w io.Writer, events []wiretrace.Event) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

// part2Split is the Part II fixture: header_server sends its welcome and
// then the time to header_client with its writes cut into 3-byte pieces
// (sock:shape{split = 3}). The reader gets each welcome piece as it comes
// (1 ms apart); the first time message in reads of 9, 12 and 18 bytes (the
// header split over two reads); the next two, sent while the client was
// held up, in one 78-byte read (two frames in one read). Both ends are in
// the trace.
func part2Split() []wiretrace.Event {
	s := newSim(1764115300.250000)
	const srv, cli = "127.0.0.1:5001", "127.0.0.1:61250"
	l := s.listen(srv, 2, "run part2/header_server")
	s.tick(0.412)
	client, server := s.dial(l, srv, cli, 3, "run part2/header_client", 2, "run part2/header_server")
	s.tick(0.000031)
	s.emit(wiretrace.Event{Task: 2, TaskName: "run part2/header_server", Conn: server.name, Local: srv, Remote: cli, Event: wiretrace.Shape, Action: "split", N: 3})
	threes := []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}
	welcome := []byte("Welcome to the server!")
	// The welcome: every 3-byte write read on its own.
	hdr := []byte(fmt.Sprintf("%-*d", simHeader, len(welcome)))
	wire := append(hdr, welcome...)
	server.out.frames = append(server.out.frames, simFrame{start: 0, hdr: simHeader, len: len(welcome), msg: welcome})
	e := s.base(server, wiretrace.Frame)
	e.Dir, e.FrameNo, e.End, e.Header, e.Codec = "out", 1, int64(len(wire)), simHeader, "header(10)"
	setData(&e, welcome)
	s.tick(0.000012)
	s.emit(e)
	for len(wire) > 0 {
		n := min(3, len(wire))
		s.tick(0.000009)
		s.write(server, wire[:n], true)
		wire = wire[n:]
		s.tick(0.000041)
		s.recv(client, 1024, true)
		s.tick(0.00095)
	}
	// Three seconds later the time, its pieces coalesced into 3 reads.
	s.tick(2.998)
	s.sendFrame(server, []byte("The time is 1764115303.661874"), threes, 0.000011)
	s.tick(0.00006)
	for _, n := range []int{9, 12, 1024} {
		s.recv(client, n, true)
		s.tick(0.000013)
	}
	// Two more while the client is held up: one read takes both.
	s.tick(2.9999)
	s.sendFrame(server, []byte("The time is 1764115306.662011"), threes, 0.000011)
	s.tick(3.000102)
	s.sendFrame(server, []byte("The time is 1764115309.662204"), threes, 0.000011)
	s.tick(0.41)
	s.recv(client, 1024, true)
	// The client has had enough.
	s.tick(0.00012)
	s.close(client)
	s.tick(0.000210)
	s.eof(server)
	s.tick(0.000004)
	s.close(server)
	return s.events
}

// bigTrace is a trace of about n events for measuring the page: a header
// server and many clients, each sent time messages under split writes,
// read in chunks of random sizes, frames and all.
func bigTrace(n int) []wiretrace.Event {
	r := rand.New(rand.NewPCG(1, 2))
	s := newSim(1764115400)
	const srv = "127.0.0.1:5002"
	l := s.listen(srv, 2, "run part2/header_server")
	type pair struct{ client, server *simConn }
	var pairs []pair
	for len(s.events) < n {
		if len(pairs) < 8 && (len(pairs) == 0 || r.IntN(40) == 0) {
			s.tick(0.01)
			cli := fmt.Sprintf("127.0.0.1:%d", 52000+len(pairs))
			c, sv := s.dial(l, srv, cli, 10+len(pairs), "client", 2, "run part2/header_server")
			pairs = append(pairs, pair{c, sv})
		}
		p := pairs[r.IntN(len(pairs))]
		s.tick(r.Float64() * 0.02)
		msg := []byte(fmt.Sprintf("The time is %.6f", s.start+s.rel))
		if r.IntN(7) == 0 {
			msg = append(msg, []byte{0, 1, 2, 0xff, 0xfe}...) // some binary now and then
		}
		pieces := []int{3 + r.IntN(10), 3 + r.IntN(10), 3 + r.IntN(10), 3 + r.IntN(10), 3 + r.IntN(10), 3 + r.IntN(10)}
		s.sendFrame(p.server, msg, pieces, 0.0001)
		for p.client.unread() > 0 {
			s.tick(0.00005)
			s.recv(p.client, 4+r.IntN(16), true)
		}
	}
	for _, p := range pairs {
		s.tick(0.001)
		s.close(p.client)
		s.eof(p.server)
		s.close(p.server)
	}
	return s.events
}
