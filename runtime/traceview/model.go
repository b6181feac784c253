// Package traceview draws a wire trace (runtime/wiretrace events) as a
// sequence diagram in one self-contained HTML page: a lane per endpoint,
// an arrow per chunk sent or received, the frame boundaries a codec found
// drawn over the chunks, markers for connect, accept, end of stream,
// close, reset and timeout, a time axis, a hex dump of any chunk on click
// and a filter per connection.
//
// Build turns events into the layout Model; Render writes the page for a
// finished trace (netplay view); Live serves the same page from loopback
// and streams events to it as they happen (:view in the REPL).
package traceview

import (
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"netplay/runtime/wiretrace"
)

// Model is the picture, or a change to it: what the page draws. A full
// model (Reset) replaces whatever the page had; the Live server sends one
// to a page that opens, then one change per event.
type Model struct {
	Reset   bool   `json:"reset,omitempty"`
	Title   string `json:"title,omitempty"`
	Live    bool   `json:"live,omitempty"`
	Lanes   []Lane `json:"lanes,omitempty"`   // new lanes, or lanes whose role changed
	Conns   []Conn `json:"conns,omitempty"`   // new connections, or connections learnt more about
	Rows    []*Row `json:"rows,omitempty"`    // new rows, in order
	Updates []*Row `json:"updates,omitempty"` // rows drawn before, now with other frame boundaries
	Dropped int    `json:"dropped,omitempty"` // events this page missed because it fell behind
	Trimmed int    `json:"trimmed,omitempty"` // earlier events the live server no longer keeps
}

// Lane is a column of the diagram: one endpoint address. A listener and
// the connections it accepted share the listener's lane.
type Lane struct {
	ID   int    `json:"id"`
	Addr string `json:"addr"`
	Role string `json:"role,omitempty"` // "listener" for a listener's address
}

// Conn is a socket of the trace (c1, l1, u1), with the lane it acts on.
type Conn struct {
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"` // listener, accepted, connected, datagram; empty if the trace does not say
	Proto  string `json:"proto,omitempty"`
	TLS    bool   `json:"tls,omitempty"`
	Local  string `json:"local,omitempty"`
	Remote string `json:"remote,omitempty"`
	Lane   int    `json:"lane"`
	Via    string `json:"via,omitempty"`   // an accepted connection's listener
	Peer   string `json:"peer,omitempty"`  // the other end, when both ends are in the trace
	Codec  string `json:"codec,omitempty"` // the codec of its frames
}

// Row is one event as drawn: an arrow (send, recv), a dashed link
// (connect) or a marker on a lane (everything else).
type Row struct {
	ID      int     `json:"id"`  // 0, 1, ... in the order of the trace
	Seq     int     `json:"seq"` // the event's seq
	Rel     float64 `json:"rel"` // seconds since the trace started
	Conn    string  `json:"conn"`
	Kind    string  `json:"kind"` // the event kind
	Dir     string  `json:"dir,omitempty"`
	From    int     `json:"from"` // the lane an arrow leaves, or the marker's lane
	To      int     `json:"to"`   // the lane an arrow reaches; -1 for a marker
	N       int     `json:"n,omitempty"`
	Offset  int64   `json:"off,omitempty"` // the stream offset of Data's first byte
	Label   string  `json:"label"`
	Preview string  `json:"preview,omitempty"` // the bytes, short and escaped
	Data    string  `json:"data,omitempty"`    // the bytes in base64, for the hex dump
	Cut     int     `json:"cut,omitempty"`     // bytes not in Data
	Segs    []Seg   `json:"segs,omitempty"`    // where frames lie in the chunk
	Task    string  `json:"task,omitempty"`
}

// Seg is the part of a chunk that belongs to one frame's header or body:
// bytes From to To (end exclusive) of the chunk. Start: the frame begins
// at From; End: it ends at To. Bytes outside every Seg belong to no frame
// the trace knows of.
type Seg struct {
	Frame int    `json:"f"`
	Part  string `json:"p"` // "h" header, "b" body
	From  int    `json:"a"`
	To    int    `json:"b"`
	Start bool   `json:"s,omitempty"`
	End   bool   `json:"e,omitempty"`
}

// Options shape the page.
type Options struct {
	Title string // the page's title; "netplay trace" if empty
	// MaxData bounds the bytes of one chunk kept for its hex dump
	// (default 64 KiB); the rest is counted in Row.Cut.
	MaxData int
	// MaxTotalData bounds the bytes kept for hex dumps in all (default
	// 64 MiB): past it, each chunk keeps its first 256 bytes, so a
	// recording of a bulk transfer still makes a page a browser opens.
	MaxTotalData int
}

const (
	defaultMaxData = 64 << 10
	defaultMaxAll  = 64 << 20
	overBudgetData = 256
	previewRunes   = 24
	noLane         = -1
	unknownEnd     = math.MaxInt64
)

// Build lays out a whole trace.
func Build(events []wiretrace.Event, opts Options) *Model {
	b := NewBuilder(opts)
	for _, ev := range events {
		b.Add(ev)
	}
	return b.Snapshot()
}

// Builder lays out a trace one event at a time. Frame boundaries can
// change rows already laid out (a frame event comes after the chunks it
// spans); Flush reports those as Updates. Rows are never changed in
// place, so a Snapshot stays valid while the builder goes on.
type Builder struct {
	opts     Options
	lanes    []Lane
	laneOf   map[string]int // address → lane
	anyPort  map[string]int // port → lane of a listener on 0.0.0.0 or [::]
	conns    map[string]*Conn
	order    []string              // conn names, first seen first
	ends     map[string]string     // "local|remote" → conn name
	streams  map[streamKey]*stream // per conn and direction
	rows     []*Row                // rows[i].ID == base+i
	base     int                   // the ID of rows[0]
	flushed  int                   // rows with an ID below this were flushed
	newLanes map[int]bool          // since the last Flush
	newConns map[string]bool       // since the last Flush
	updated  map[int]bool          // row IDs, since the last Flush
	trimmed  int                   // rows dropped by Trim
	data     int                   // bytes of Data held in rows
}

// NewBuilder returns an empty builder.
func NewBuilder(opts Options) *Builder {
	if opts.Title == "" {
		opts.Title = "netplay trace"
	}
	if opts.MaxData <= 0 {
		opts.MaxData = defaultMaxData
	}
	if opts.MaxTotalData <= 0 {
		opts.MaxTotalData = defaultMaxAll
	}
	return &Builder{
		opts:     opts,
		laneOf:   map[string]int{},
		anyPort:  map[string]int{},
		conns:    map[string]*Conn{},
		ends:     map[string]string{},
		streams:  map[streamKey]*stream{},
		newLanes: map[int]bool{},
		newConns: map[string]bool{},
		updated:  map[int]bool{},
	}
}

// Add lays out one event. It never fails: an event that breaks the schema
// is drawn as well as it can be.
func (b *Builder) Add(ev wiretrace.Event) {
	c := b.conn(ev)
	row := &Row{
		ID: b.base + len(b.rows), Seq: ev.Seq, Rel: ev.Rel, Conn: c.Name, Kind: ev.Event,
		Dir: ev.Dir, From: c.Lane, To: noLane, Task: taskName(ev),
	}
	// In the rows before it is laid out: laying out a chunk can replace
	// it with a copy (rows are never changed once laid out).
	b.rows = append(b.rows, row)
	switch ev.Event {
	case wiretrace.Send, wiretrace.Recv:
		b.chunk(c, ev, row)
	case wiretrace.Frame:
		b.frame(c, ev, row)
	case wiretrace.Connect:
		row.To = b.peerLane(c, ev)
		row.Label = "connect"
	default:
		row.Label = markerLabel(ev)
	}
}

func taskName(ev wiretrace.Event) string {
	switch {
	case ev.TaskName != "" && ev.Task != 0:
		return fmt.Sprintf("task %d (%s)", ev.Task, ev.TaskName)
	case ev.Task != 0:
		return fmt.Sprintf("task %d", ev.Task)
	}
	return ev.TaskName
}

func markerLabel(ev wiretrace.Event) string {
	switch ev.Event {
	case wiretrace.Listen:
		return "listen " + ev.Local
	case wiretrace.Accept:
		if ev.Via != "" {
			return fmt.Sprintf("accept %s (%s)", ev.Remote, ev.Via)
		}
		return "accept " + ev.Remote
	case wiretrace.EOF:
		return fmt.Sprintf("end of stream at %d", ev.Offset)
	case wiretrace.Shutdown:
		return "shutdown " + ev.How
	case wiretrace.Timeout:
		return "timeout: " + ev.Op
	case wiretrace.Reset:
		if ev.Dir == "out" {
			return "reset (sent)"
		}
		return "reset by peer"
	case wiretrace.Error:
		return ev.Op + ": " + ev.Err
	case wiretrace.TLS:
		if ev.Err != "" {
			return "TLS failed: " + ev.Err
		}
		return strings.TrimSpace(strings.Join([]string{ev.TLSVersion, ev.Cipher, ev.ALPN}, " "))
	case wiretrace.Shape:
		if ev.N != 0 {
			return fmt.Sprintf("shape: %s %d", ev.Action, ev.N)
		}
		return "shape: " + ev.Action
	}
	return ev.Event
}

// chunk lays out a send or recv: an arrow from the sender's lane to the
// receiver's, and the frames it carries.
func (b *Builder) chunk(c *Conn, ev wiretrace.Event, row *Row) {
	peer := b.peerLane(c, ev)
	if ev.Event == wiretrace.Send {
		row.From, row.To = c.Lane, peer
	} else {
		row.From, row.To = peer, c.Lane
	}
	row.N, row.Offset = ev.N, ev.Offset
	row.Label = fmt.Sprintf("%s %d", ev.Event, ev.N)
	b.setData(row, ev)
	if isDatagram(c.Proto) {
		return
	}
	key := streamKey{c.Name, ev.Dir}
	st := b.stream(key)
	from := int64(unknownEnd)
	if len(ev.Frames) > 0 {
		from = st.readSpans(ev)
	}
	st.chunks = append(st.chunks, row)
	row.Segs = b.segsFor(key, row)
	if from != unknownEnd {
		b.framesChanged(key, from)
	}
}

// frame lays out a frame event: a marker on the lane, with the message
// for the hex dump; its boundaries go on the chunks it spans.
func (b *Builder) frame(c *Conn, ev wiretrace.Event, row *Row) {
	row.N = ev.N
	row.Offset = ev.Start + int64(ev.Header)
	dir := "received"
	if ev.Dir == "out" {
		dir = "sent"
	}
	codec := ev.Codec
	if codec == "" {
		codec = c.Codec
	}
	row.Label = fmt.Sprintf("frame %d %s: %d bytes", ev.FrameNo, dir, ev.N)
	if codec != "" {
		row.Label += " " + codec
	}
	row.Label += fmt.Sprintf(", stream %d–%d", ev.Start, ev.End)
	b.setData(row, ev)
	if ev.N > 0 {
		row.Segs = []Seg{{Frame: ev.FrameNo, Part: "b", From: 0, To: ev.N}}
	}
	if ev.End <= ev.Start || ev.FrameNo < 1 {
		return
	}
	key := streamKey{c.Name, ev.Dir}
	st := b.stream(key)
	f := st.frameNo(ev.FrameNo, ev.Start)
	f.start, f.hdrEnd, f.end, f.exact = ev.Start, ev.Start+int64(ev.Header), ev.End, true
	st.sortFrames()
	b.framesChanged(key, ev.Start)
}

func (b *Builder) setData(row *Row, ev wiretrace.Event) {
	p := ev.Data()
	row.Cut = ev.Cut
	limit := b.opts.MaxData
	if b.data >= b.opts.MaxTotalData {
		limit = min(limit, overBudgetData)
	}
	if len(p) > limit {
		row.Cut += len(p) - limit
		p = p[:limit]
	}
	b.data += len(p)
	if p != nil {
		row.Data = base64.StdEncoding.EncodeToString(p)
		row.Preview = preview(p, row.Cut > 0)
	}
}

// preview shows the first bytes as a Go-quoted string when they are text,
// as hex otherwise.
func preview(p []byte, more bool) string {
	if isText(p) {
		s, n := string(p), 0
		for i := range s {
			if n == previewRunes {
				s, more = s[:i], true
				break
			}
			n++
		}
		q := strconv.Quote(s)
		if more {
			q += "…"
		}
		return q
	}
	var b strings.Builder
	b.WriteString("hex")
	for i, c := range p {
		if i == 8 {
			more = true
			break
		}
		fmt.Fprintf(&b, " %02x", c)
	}
	if more {
		b.WriteString(" …")
	}
	return b.String()
}

// isText: valid UTF-8 with few control bytes besides \r \n \t.
func isText(p []byte) bool {
	if !utf8.Valid(p) {
		return false
	}
	ctl := 0
	for _, c := range p {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			ctl++
		}
	}
	return ctl*8 <= len(p)
}

func isDatagram(proto string) bool { return strings.HasPrefix(proto, "udp") }

// conn returns the event's connection, learning what the event tells
// about it; a new connection gets its lane.
func (b *Builder) conn(ev wiretrace.Event) *Conn {
	name := ev.Conn
	if name == "" {
		name = "?"
	}
	c, ok := b.conns[name]
	if !ok {
		c = &Conn{Name: name, Proto: ev.Proto, Via: ev.Via}
		switch {
		case ev.Event == wiretrace.Listen:
			c.Role = "listener"
		case ev.Event == wiretrace.Accept:
			c.Role = "accepted"
		case ev.Event == wiretrace.Connect:
			c.Role = "connected"
		case isDatagram(ev.Proto):
			c.Role = "datagram"
		}
		switch {
		case ev.Event == wiretrace.Listen:
			c.Lane = b.listenerLane(ev.Local)
		case ev.Event == wiretrace.Accept && b.conns[ev.Via] != nil:
			c.Lane = b.conns[ev.Via].Lane
			if _, known := b.laneOf[ev.Local]; !known && ev.Local != "" {
				b.laneOf[ev.Local] = c.Lane
			}
		case ev.Local != "":
			c.Lane = b.laneFor(ev.Local)
		default:
			c.Lane = b.laneFor("(" + name + ")")
		}
		b.conns[name] = c
		b.order = append(b.order, name)
		b.newConns[name] = true
	}
	changed := false
	learn := func(field *string, v string) {
		if *field == "" && v != "" {
			*field, changed = v, true
		}
	}
	learn(&c.Local, ev.Local)
	if !isDatagram(c.Proto) {
		learn(&c.Remote, ev.Remote)
	}
	learn(&c.Codec, ev.Codec)
	learn(&c.Proto, ev.Proto)
	if ev.TLS && !c.TLS {
		c.TLS, changed = true, true
	}
	if changed {
		b.newConns[name] = true
		b.pair(c)
	}
	return c
}

// pair finds the other end of c when both ends are in the trace: its
// local address is c's remote and the other way round.
func (b *Builder) pair(c *Conn) {
	if c.Peer != "" || c.Local == "" || c.Remote == "" || isDatagram(c.Proto) || strings.HasPrefix(c.Proto, "unix") {
		return
	}
	b.ends[c.Local+"|"+c.Remote] = c.Name
	other, ok := b.conns[b.ends[c.Remote+"|"+c.Local]]
	if !ok || other == c || other.Peer != "" {
		return
	}
	c.Peer, other.Peer = other.Name, c.Name
	b.newConns[c.Name], b.newConns[other.Name] = true, true
	// A direction without frames of its own borrows its peer's: the
	// sender's frames lie on the bytes the receiver reads.
	for _, name := range []string{c.Name, other.Name} {
		for _, dir := range []string{"in", "out"} {
			if st := b.streams[streamKey{name, dir}]; st != nil && len(st.frames) == 0 {
				b.resegment(st, streamKey{name, dir}, 0)
			}
		}
	}
}

// laneFor returns the lane of an address, making one if it is new. An
// address with the port of a listener on an unspecified host (0.0.0.0:5000)
// belongs to that listener's lane.
func (b *Builder) laneFor(addr string) int {
	if id, ok := b.laneOf[addr]; ok {
		return id
	}
	if _, port, err := net.SplitHostPort(addr); err == nil {
		if id, ok := b.anyPort[port]; ok {
			b.laneOf[addr] = id
			return id
		}
	}
	id := len(b.lanes)
	b.lanes = append(b.lanes, Lane{ID: id, Addr: addr})
	b.laneOf[addr] = id
	b.newLanes[id] = true
	return id
}

// listenerLane returns the lane of a listener's address, marked as one.
func (b *Builder) listenerLane(addr string) int {
	if addr == "" {
		addr = "(listener)"
	}
	id := b.laneFor(addr)
	if b.lanes[id].Role != "listener" {
		b.lanes[id].Role = "listener"
		b.newLanes[id] = true
	}
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			b.anyPort[port] = id
		}
	}
	return id
}

// peerLane is the lane of the event's peer: the event's remote address
// (a datagram's sender or receiver) or the connection's.
func (b *Builder) peerLane(c *Conn, ev wiretrace.Event) int {
	addr := ev.Remote
	if addr == "" {
		addr = c.Remote
	}
	if addr == "" {
		addr = "(peer of " + c.Name + ")"
	}
	return b.laneFor(addr)
}

// Snapshot is the whole picture so far, as a model that resets the page.
func (b *Builder) Snapshot() *Model {
	m := &Model{Reset: true, Title: b.opts.Title, Trimmed: b.trimmed}
	m.Lanes = append([]Lane(nil), b.lanes...)
	for _, name := range b.order {
		m.Conns = append(m.Conns, *b.conns[name])
	}
	m.Rows = append([]*Row(nil), b.rows...)
	return m
}

// Flush returns what changed since the last Flush: new lanes,
// connections and rows, and rows laid out again. It returns nil when
// nothing changed.
func (b *Builder) Flush() *Model {
	m := &Model{}
	for id := range b.newLanes {
		m.Lanes = append(m.Lanes, b.lanes[id])
	}
	sort.Slice(m.Lanes, func(i, j int) bool { return m.Lanes[i].ID < m.Lanes[j].ID })
	for _, name := range b.order {
		if b.newConns[name] {
			m.Conns = append(m.Conns, *b.conns[name])
		}
	}
	if start := b.flushed - b.base; start < len(b.rows) {
		m.Rows = append(m.Rows, b.rows[max(start, 0):]...)
	}
	for id := range b.updated {
		if id < b.flushed && id >= b.base {
			m.Updates = append(m.Updates, b.rows[id-b.base])
		}
	}
	sort.Slice(m.Updates, func(i, j int) bool { return m.Updates[i].ID < m.Updates[j].ID })
	clear(b.newLanes)
	clear(b.newConns)
	clear(b.updated)
	b.flushed = b.base + len(b.rows)
	if len(m.Lanes)+len(m.Conns)+len(m.Rows)+len(m.Updates) == 0 {
		return nil
	}
	return m
}

// Trim forgets the oldest rows beyond keep (lanes and connections stay),
// so a long live session holds bounded memory.
func (b *Builder) Trim(keep int) {
	cut := len(b.rows) - keep
	if keep < 0 || cut <= 0 {
		return
	}
	for _, r := range b.rows[:cut] {
		b.data -= len(r.Data)/4*3 - strings.Count(r.Data[max(0, len(r.Data)-2):], "=")
	}
	b.rows = append([]*Row(nil), b.rows[cut:]...)
	b.base += cut
	b.trimmed += cut
	for _, st := range b.streams {
		i := sort.Search(len(st.chunks), func(i int) bool { return st.chunks[i].ID >= b.base })
		st.chunks = append([]*Row(nil), st.chunks[i:]...)
		st.forgetFramesBefore(st.firstOffset())
	}
}

// streamKey names one direction of one connection.
type streamKey struct{ conn, dir string }

// stream is one direction of a connection: its chunks and the frames
// found in it.
type stream struct {
	chunks  []*Row              // by offset
	frames  []*frameInfo        // by start
	byNo    map[int]*frameInfo  // by frame number
	last    wiretrace.FrameSpan // the last span read
	hasLast bool
}

// frameInfo is where a frame lies in its stream; -1: not known yet.
type frameInfo struct {
	no                 int
	start, hdrEnd, end int64
	exact              bool // from a frame event, not worked out from spans
}

func (b *Builder) stream(key streamKey) *stream {
	st := b.streams[key]
	if st == nil {
		st = &stream{byNo: map[int]*frameInfo{}}
		b.streams[key] = st
	}
	return st
}

func (st *stream) frameNo(no int, start int64) *frameInfo {
	f := st.byNo[no]
	if f == nil {
		f = &frameInfo{no: no, start: start, hdrEnd: -1, end: -1}
		st.byNo[no] = f
		st.frames = append(st.frames, f)
	}
	return f
}

func (st *stream) sortFrames() {
	sort.SliceStable(st.frames, func(i, j int) bool { return st.frames[i].start < st.frames[j].start })
}

func (st *stream) firstOffset() int64 {
	if len(st.chunks) == 0 {
		return unknownEnd
	}
	return st.chunks[0].Offset
}

func (st *stream) forgetFramesBefore(off int64) {
	keep := st.frames[:0]
	for i, f := range st.frames {
		if st.effEnd(i) <= off && i < len(st.frames)-1 {
			delete(st.byNo, f.no)
			continue
		}
		keep = append(keep, f)
	}
	st.frames = keep
}

// readSpans works out where frames lie from a chunk's spans: each span
// says how many header and body bytes of its frame have been counted
// once the chunk is; the difference from the last span of the same frame
// is what this chunk carried. It returns the first stream offset whose
// frames it changed.
func (st *stream) readSpans(ev wiretrace.Event) int64 {
	pos, from := ev.Offset, int64(unknownEnd)
	for _, sp := range ev.Frames {
		before := 0
		if st.hasLast && st.last.Frame == sp.Frame {
			before = st.last.HeaderHave + st.last.BodyHave
		}
		f := st.frameNo(sp.Frame, pos-int64(before))
		if !f.exact {
			old := *f
			if sp.HeaderHave == sp.HeaderWant {
				f.hdrEnd = f.start + int64(sp.HeaderWant)
				if sp.BodyWant >= 0 {
					f.end = f.hdrEnd + int64(sp.BodyWant)
				}
			}
			if *f != old || before == 0 {
				from = min(from, f.start)
			}
		}
		pos += int64(sp.HeaderHave + sp.BodyHave - before)
		st.last, st.hasLast = sp, true
	}
	st.sortFrames()
	return from
}

// effEnd is where frame i ends: its end, else where the next one starts.
func (st *stream) effEnd(i int) int64 {
	if f := st.frames[i]; f.end >= 0 {
		return f.end
	}
	if i+1 < len(st.frames) {
		return st.frames[i+1].start
	}
	return unknownEnd
}

// segs cuts the chunk [off, off+n) along st's frames.
func (st *stream) segs(off int64, n int) []Seg {
	end := off + int64(n)
	hi := sort.Search(len(st.frames), func(i int) bool { return st.frames[i].start >= end })
	lo := hi
	for lo > 0 && st.effEnd(lo-1) > off {
		lo--
	}
	var segs []Seg
	add := func(f *frameInfo, part string, a, z int64, fend int64) {
		a, z = max(a, off), min(z, end)
		if a >= z {
			return
		}
		segs = append(segs, Seg{Frame: f.no, Part: part, From: int(a - off), To: int(z - off),
			Start: a == f.start, End: f.end >= 0 && z == fend})
	}
	for i := lo; i < hi; i++ {
		f, fend := st.frames[i], st.effEnd(i)
		hdrEnd := f.hdrEnd
		if hdrEnd < 0 || hdrEnd > fend {
			hdrEnd = fend
		}
		add(f, "h", f.start, hdrEnd, fend)
		if f.hdrEnd >= 0 {
			add(f, "b", hdrEnd, fend, fend)
		}
	}
	// Start belongs to the first part of a frame only (a 0-byte header).
	for i := 1; i < len(segs); i++ {
		if segs[i].Frame == segs[i-1].Frame {
			segs[i].Start = false
		}
	}
	return segs
}

// source is the stream whose frames lie on key's chunks: its own, or its
// peer's when it has none.
func (b *Builder) source(key streamKey) *stream {
	st := b.streams[key]
	if st != nil && len(st.frames) > 0 {
		return st
	}
	if c := b.conns[key.conn]; c != nil && c.Peer != "" {
		if ps := b.streams[streamKey{c.Peer, opposite(key.dir)}]; ps != nil && len(ps.frames) > 0 {
			return ps
		}
	}
	return nil
}

func opposite(dir string) string {
	if dir == "in" {
		return "out"
	}
	return "in"
}

func (b *Builder) segsFor(key streamKey, row *Row) []Seg {
	if src := b.source(key); src != nil {
		return src.segs(row.Offset, row.N)
	}
	return nil
}

// framesChanged lays out again the chunks of key, and of the peer's
// direction that borrows key's frames, from stream offset from on.
func (b *Builder) framesChanged(key streamKey, from int64) {
	if st := b.streams[key]; st != nil {
		b.resegment(st, key, from)
	}
	if c := b.conns[key.conn]; c != nil && c.Peer != "" {
		pk := streamKey{c.Peer, opposite(key.dir)}
		if ps := b.streams[pk]; ps != nil && len(ps.frames) == 0 {
			b.resegment(ps, pk, from)
		}
	}
}

// resegment lays out again the chunks of st that end after from.
func (b *Builder) resegment(st *stream, key streamKey, from int64) {
	i := sort.Search(len(st.chunks), func(i int) bool {
		return st.chunks[i].Offset+int64(st.chunks[i].N) > from
	})
	if i > 0 {
		i-- // the frame before may end differently now
	}
	for ; i < len(st.chunks); i++ {
		row := st.chunks[i]
		segs := b.segsFor(key, row)
		if equalSegs(segs, row.Segs) {
			continue
		}
		nr := *row
		nr.Segs = segs
		st.chunks[i] = &nr
		if j := row.ID - b.base; j >= 0 && j < len(b.rows) && b.rows[j] == row {
			b.rows[j] = &nr
		}
		b.updated[row.ID] = true
	}
}

func equalSegs(a, b []Seg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
