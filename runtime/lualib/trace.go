package lualib

// The trace module: see every send and receive.
//
//	trace(true|false)     (the module is callable; also trace.on(), trace.off())
//
// Each event is one line on stderr: time, socket id and endpoints,
// direction, byte count, and the bytes as escaped text or hex.

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/netio"
)

// traceShown bounds how many bytes of one event a trace line shows.
const traceShown = 256

// Tracer formats socket events as trace lines.
type Tracer struct {
	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

// NewTracer returns a tracer writing to out.
func NewTracer(out io.Writer) *Tracer { return &Tracer{out: out, now: time.Now} }

// Tap is the netio.Tap that writes one line per event: bytes as
// "recv 8 ...", whole frames as "frame recv header(10) 22 ...".
func (t *Tracer) Tap(s *netio.Socket, ev netio.Event) {
	arrow, verb := "->", "send"
	switch ev.Dir {
	case netio.Recv:
		arrow, verb = "<-", "recv"
	case netio.FrameRecv:
		arrow, verb = "<-", "frame recv "+ev.Codec
	case netio.FrameSend:
		verb = "frame send " + ev.Codec
	}
	line := fmt.Sprintf("%s #%d %s %s %s %s %d %s\n", t.now().Format("15:04:05.000000"), s.ID(),
		addrString(s.LocalAddr()), arrow, addrString(s.RemoteAddr()), verb, len(ev.Data), ShowBytes(ev.Data, traceShown))
	t.mu.Lock()
	io.WriteString(t.out, line)
	t.mu.Unlock()
}

// ShowBytes renders p for a person: a quoted, escaped string when it is
// mostly text, hex otherwise; cut after limit bytes with a count of the rest.
func ShowBytes(p []byte, limit int) string {
	more := ""
	if len(p) > limit {
		more = fmt.Sprintf(" ...(%d more)", len(p)-limit)
		p = p[:limit]
	}
	if isText(p) {
		return strconv.Quote(string(p)) + more
	}
	var b strings.Builder
	b.WriteString("hex:")
	for i, c := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String() + more
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

var traceFuncs = map[string]lua.LGFunction{
	"on":  traceOn,
	"off": traceOff,
}

// OpenTrace is the loader of the trace module: a table of on/off that can
// also be called as trace(flag).
func OpenTrace(L *lua.LState) int {
	mod := L.SetFuncs(L.NewTable(), traceFuncs)
	mt := L.NewTable()
	L.SetField(mt, "__call", L.NewFunction(traceCall))
	L.SetMetatable(mod, mt)
	L.Push(mod)
	return 1
}

// SetTracing turns the host's wire trace on (to its stderr) or off.
func SetTracing(h *host.Host, on bool) {
	if on {
		h.SetTrace(NewTracer(h.Stderr()).Tap)
	} else {
		h.SetTrace(nil)
	}
}

// traceCall implements trace(flag).
func traceCall(L *lua.LState) int {
	SetTracing(host.Of(L), L.ToBool(2))
	return 0
}

// traceOn implements trace.on().
func traceOn(L *lua.LState) int {
	SetTracing(host.Of(L), true)
	return 0
}

// traceOff implements trace.off().
func traceOff(L *lua.LState) int {
	SetTracing(host.Of(L), false)
	return 0
}
