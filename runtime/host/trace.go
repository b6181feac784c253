package host

// The host's one wire trace: a tracer.Hub whose tap is on every socket
// while some sink (--trace, --record, trace(fn), the live page) listens.

import (
	"context"

	"netplay/runtime/netio"
	"netplay/runtime/tracer"
)

// taskInfo names the task of a context for the trace.
func taskInfo(ctx context.Context) (int, string) {
	if t := TaskFrom(ctx); t != nil {
		return t.id, t.name
	}
	return 0, ""
}

// Trace is the host's wire trace.
func (h *Host) Trace() *tracer.Hub { return h.trace }

// AddTraceSink makes s receive every trace event from now on (filter, when
// not nil, keeps one socket's or a few); the returned func removes it.
// The trace's tap is on every socket while a sink listens, and off (no
// cost) otherwise.
func (h *Host) AddTraceSink(s tracer.Sink, filter func(*netio.Socket) bool) (remove func()) {
	rm := h.trace.Add(s, filter)
	h.syncTap()
	return func() {
		rm()
		h.syncTap()
	}
}

// syncTap installs the trace's tap on every open socket when it has
// sinks, and removes it when it has none.
func (h *Host) syncTap() {
	var tap netio.Tap
	if !h.trace.Empty() {
		tap = h.trace.Tap
		h.tap.Store(&tap)
	} else {
		h.tap.Store(nil)
	}
	h.state.Lock()
	defer h.state.Unlock()
	for r := range h.resources {
		if s, ok := r.c.(*netio.Socket); ok {
			s.SetTap(tap)
		}
	}
}

// Tap is the tap a new socket gets: the trace's while it listens, or nil.
func (h *Host) Tap() netio.Tap {
	if p := h.tap.Load(); p != nil {
		return *p
	}
	return nil
}

// SetTraceSink installs s under name, removing the sink that name had
// (nil removes only): one "trace" (what --trace and trace() show), one
// "record", one "view", and so on.
func (h *Host) SetTraceSink(name string, s tracer.Sink, filter func(*netio.Socket) bool) {
	h.traceMu.Lock()
	defer h.traceMu.Unlock()
	if h.traceSinks == nil {
		h.traceSinks = map[string]func(){}
	}
	if rm := h.traceSinks[name]; rm != nil {
		rm()
		delete(h.traceSinks, name)
	}
	if s != nil {
		h.traceSinks[name] = h.AddTraceSink(s, filter)
	}
}
