package lualib

// The trace module: see every event on the wire.
//
//	trace(true | false)     text lines on stderr, or none (also trace.on(), trace.off())
//	trace("hex" | "json")   every data as a hex dump / JSON Lines, on stderr
//	trace(fn)               fn(event) for every event, event a table (see the README)
//	trace(sock)             text lines for that socket only
//	trace.name(sock) -> "c3" the short name the trace gives a socket
//
// Each call replaces what the last one (or --trace) set.

import (
	"fmt"
	"io"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
	"netplay/runtime/sched"
	"netplay/runtime/tracer"
	"netplay/runtime/wiretrace"
)

var traceFuncs = map[string]lua.LGFunction{
	"on":   traceOn,
	"off":  traceOff,
	"name": traceName,
}

// OpenTrace is the loader of the trace module: a table of functions that
// can also be called as trace(what).
func OpenTrace(L *lua.LState) int {
	mod := L.SetFuncs(L.NewTable(), traceFuncs)
	mt := L.NewTable()
	L.SetField(mt, "__call", L.NewFunction(traceCall))
	L.SetMetatable(mod, mt)
	L.Push(mod)
	return 1
}

// TraceFormat is how the stderr trace writes: "text", "hex" or "json".
type TraceFormat string

// SetTracing sets the trace --trace and trace() control: to out in the
// given format (rel: times since the start), or off with format "".
func SetTracing(h *host.Host, format TraceFormat, out io.Writer, rel bool, filter func(*netio.Socket) bool) {
	var s tracer.Sink
	switch format {
	case "text", "hex":
		s = &lockedSink{s: &tracer.Text{W: out, Hex: format == "hex", Rel: rel}}
	case "json":
		s = &lockedSink{s: &tracer.JSON{W: out, Shown: 4096}}
	}
	h.SetTraceSink("trace", s, filter)
}

// lockedSink serialises a sink that keeps state (the hub calls its sinks
// one event at a time already; this guards against two hubs' worth).
type lockedSink struct {
	mu sync.Mutex
	s  tracer.Sink
}

func (l *lockedSink) Event(ev *wiretrace.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s.Event(ev)
}

// traceCall implements trace(what): true, false, "text", "hex", "json", a
// function or a socket.
func traceCall(L *lua.LState) int {
	h := host.Of(L)
	switch v := L.Get(2).(type) {
	case lua.LBool:
		if v {
			SetTracing(h, "text", h.Stderr(), false, nil)
		} else {
			SetTracing(h, "", nil, false, nil)
		}
	case lua.LString:
		switch f := TraceFormat(v); f {
		case "text", "hex", "json":
			SetTracing(h, f, h.Stderr(), false, nil)
		default:
			L.ArgError(1, `trace takes true, false, "text", "hex", "json", a function or a socket`)
		}
	case *lua.LFunction:
		traceTo(L, v)
	case *lua.LUserData:
		s := socketOf(v)
		if s == nil {
			L.ArgError(1, "trace takes a socket or a framed socket")
		}
		SetTracing(h, "text", h.Stderr(), false, func(x *netio.Socket) bool { return x == s })
	case *lua.LNilType:
		SetTracing(h, "", nil, false, nil)
	default:
		L.ArgError(1, `trace takes true, false, "text", "hex", "json", a function or a socket`)
	}
	return 0
}

// socketOf is the netio socket a socket or framed socket value holds.
func socketOf(ud *lua.LUserData) *netio.Socket {
	switch v := ud.Value.(type) {
	case *sock:
		return v.Socket
	case *framed:
		return v.sock.Socket
	}
	return nil
}

// traceOn implements trace.on().
func traceOn(L *lua.LState) int {
	h := host.Of(L)
	SetTracing(h, "text", h.Stderr(), false, nil)
	return 0
}

// traceOff implements trace.off().
func traceOff(L *lua.LState) int {
	SetTracing(host.Of(L), "", nil, false, nil)
	return 0
}

// traceName implements trace.name(sock) -> "c3": the socket's name in the
// trace (nil before its first event is traced).
func traceName(L *lua.LState) int {
	s := socketOf(L.CheckUserData(1))
	if s == nil {
		L.ArgError(1, "socket expected")
	}
	if name := host.Of(L).Trace().Name(s); name != "" {
		L.Push(lua.LString(name))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// callbackQueueMax bounds the events waiting for trace(fn)'s function;
// past it events are dropped and counted.
const callbackQueueMax = 10000

// callbackSink hands events to a task that calls the script's function.
type callbackSink struct {
	mu      sync.Mutex
	queue   []*wiretrace.Event
	dropped int
	wake    *sched.Parker
	self    int // the callback task: its own I/O is not traced to it
	stopped bool
}

func (c *callbackSink) Event(ev *wiretrace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped || ev.Task == c.self && c.self != 0 {
		return
	}
	if len(c.queue) >= callbackQueueMax {
		c.dropped++
		return
	}
	cp := *ev
	c.queue = append(c.queue, &cp)
	if c.wake != nil {
		c.wake.Wake()
		c.wake = nil
	}
}

// traceTo implements trace(fn): a daemon task calls fn with each event, in
// order. An error in fn stops this trace (and is reported).
func traceTo(L *lua.LState, fn *lua.LFunction) {
	h := host.Of(L)
	cb := &callbackSink{}
	body := L.NewFunction(func(L *lua.LState) int {
		for {
			ev, dropped, ok := cb.next(L, h)
			if !ok {
				return 0
			}
			if dropped > 0 {
				fmt.Fprintf(h.Stderr(), "trace: %d events dropped (the function was too slow)\n", dropped)
			}
			L.Push(fn)
			L.Push(EventTable(L, ev))
			if err := L.PCall(1, 0, nil); err != nil {
				cb.stop()
				h.SetTraceSink("trace", nil, nil)
				fmt.Fprintf(h.Stderr(), "trace: the function failed, tracing stopped: %s\n", host.FormatError(err))
				return 0
			}
		}
	})
	t := h.SpawnFrom(L, body, nil, host.SpawnOptions{Name: "trace callback", Daemon: true, Quiet: true})
	cb.mu.Lock()
	cb.self = t.ID()
	cb.mu.Unlock()
	h.SetTraceSink("trace", cb, nil)
}

// next waits for the next event (false once stopped).
func (c *callbackSink) next(L *lua.LState, h *host.Host) (*wiretrace.Event, int, bool) {
	for {
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return nil, 0, false
		}
		if len(c.queue) > 0 {
			ev := c.queue[0]
			c.queue = c.queue[1:]
			dropped := c.dropped
			c.dropped = 0
			c.mu.Unlock()
			return ev, dropped, true
		}
		p := h.Parker()
		c.wake = p
		c.mu.Unlock()
		h.Park(L, "trace", p, time.Time{})
	}
}

func (c *callbackSink) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
}

// EventTable is an event as trace(fn) gives it: a table with the JSON
// form's fields (see wiretrace.Event), the bytes as `data`, frame spans as
// a list of tables.
func EventTable(L *lua.LState, ev *wiretrace.Event) *lua.LTable {
	t := L.CreateTable(0, 16)
	set := func(k string, v lua.LValue) { t.RawSetString(k, v) }
	str := func(k, v string) {
		if v != "" {
			set(k, lua.LString(v))
		}
	}
	num := func(k string, v float64) {
		if v != 0 {
			set(k, lua.LNumber(v))
		}
	}
	set("seq", lua.LNumber(ev.Seq))
	set("time", lua.LNumber(ev.Time))
	set("rel", lua.LNumber(ev.Rel))
	num("task", float64(ev.Task))
	str("task_name", ev.TaskName)
	str("conn", ev.Conn)
	str("proto", ev.Proto)
	if ev.TLS {
		set("tls", lua.LTrue)
	}
	str("local", ev.Local)
	str("remote", ev.Remote)
	str("event", ev.Event)
	str("dir", ev.Dir)
	str("via", ev.Via)
	if ev.Event == wiretrace.Send || ev.Event == wiretrace.Recv || ev.Event == wiretrace.Frame {
		set("n", lua.LNumber(ev.N))
		set("offset", lua.LNumber(ev.Offset))
		set("data", lua.LString(ev.Data()))
	}
	if len(ev.Frames) > 0 {
		frames := L.CreateTable(len(ev.Frames), 0)
		for _, sp := range ev.Frames {
			f := L.CreateTable(0, 5)
			f.RawSetString("frame", lua.LNumber(sp.Frame))
			f.RawSetString("header_have", lua.LNumber(sp.HeaderHave))
			f.RawSetString("header_want", lua.LNumber(sp.HeaderWant))
			f.RawSetString("body_have", lua.LNumber(sp.BodyHave))
			f.RawSetString("body_want", lua.LNumber(sp.BodyWant))
			frames.Append(f)
		}
		set("frames", frames)
	}
	num("frame", float64(ev.FrameNo))
	if ev.Event == wiretrace.Frame {
		set("start", lua.LNumber(ev.Start))
		set("end", lua.LNumber(ev.End))
		set("header", lua.LNumber(ev.Header))
	}
	str("codec", ev.Codec)
	str("how", ev.How)
	str("op", ev.Op)
	str("error", ev.Err)
	str("action", ev.Action)
	str("tls_version", ev.TLSVersion)
	str("cipher", ev.Cipher)
	str("alpn", ev.ALPN)
	return t
}
