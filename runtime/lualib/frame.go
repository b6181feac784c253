package lualib

// The frame module: message framing over a stream socket.
//
//	frame.header([width=10][, opts])  frame.u8/u16/u32/u64([opts])
//	frame.varint([opts])  frame.line([delim="\n"][, opts])
//	frame.netstring([opts])  frame.fixed(n[, opts])
//	frame.new{encode = fn, decode = fn[, name = s]}   (a codec in Lua; its
//	                                decode may return any Lua value)
//	frame.wrap(sock, codec[, {max = bytes}]) -> framed socket
//	opts: {max = bytes, little = true (u16/u32/u64 only)}
//
//	codec:encode(msg) -> bytes | nil, err
//	codec:decode(buf) -> msg, used | nil (need more) | nil, err
//	f:send(msg) -> true | nil, err     f:recv() -> msg | nil, err, partial
//	f:frames() -> iterator             f:close()     f.sock  f.codec
//	f:peek(n)  f:unread(data)          (peek.go)

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/framing"
	"netplay/runtime/host"
	"netplay/runtime/netio"
	"netplay/runtime/wiretrace"
)

// CodecTypeName and FramedTypeName name the frame module's metatables.
const (
	CodecTypeName  = "netplay.codec"
	FramedTypeName = "netplay.framed"
)

// luaCodecSlack is how far past the maximum frame size a Lua codec's
// buffer may grow (room for its header) before the frame is refused.
const luaCodecSlack = 1024

var frameFuncs = map[string]lua.LGFunction{
	"header":    frameHeader,
	"u8":        frameUint(1),
	"u16":       frameUint(2),
	"u32":       frameUint(4),
	"u64":       frameUint(8),
	"varint":    frameVarint,
	"line":      frameLine,
	"netstring": frameNetstring,
	"fixed":     frameFixed,
	"new":       frameNew,
	"wrap":      frameWrap,
}

var codecMethods = map[string]lua.LGFunction{
	"encode": codecEncode,
	"decode": codecDecode,
}

var framedMethods = map[string]lua.LGFunction{
	"send":   framedSend,
	"recv":   framedRecv,
	"frames": framedFrames,
	"close":  framedClose,
	"peek":   framedPeek,
	"unread": framedUnread,
}

// codec is a codec value: a Go codec (goc, made at max; make builds it
// for another maximum) or one written in Lua (goc nil).
type codec struct {
	name     string
	max      int
	goc      framing.Codec
	make     func(max int) (framing.Codec, error)
	encodeFn *lua.LFunction // Lua codecs
	decodeFn *lua.LFunction
}

// framed is a socket read and written through a codec.
type framed struct {
	sock   *sock
	sockUD lua.LValue
	codec  *codec
	codecV lua.LValue
	goc    framing.Codec // nil for a Lua codec
	max    int

	// A Go codec's methods as values, and the frame a recv took, made
	// once: a send or recv allocates nothing of its own.
	encode netio.Encoder
	around netio.Around // nil for Line and Lua codecs, whose frames are copied
	decode netio.Decoder
	took   func(frame []byte)
	msg    lua.LValue // the string took made (newLString); read before the task next waits
	// flushFn is f.flush as a value, made once (send registers it).
	flushFn func(L *lua.LState)
	methods *framedMethodTable // the type's methods, for IndexField
}

// IndexField answers f.sock, f.codec and f:method() without a Lua call
// (gopher-lua patch 18, lua.FieldIndexer): every f:recv() and f:send()
// looks its method up here.
func (f *framed) IndexField(key string) (lua.LValue, bool) {
	switch key {
	case "recv":
		return f.methods.recv, true
	case "send":
		return f.methods.send, true
	case "sock":
		return f.sockUD, true
	case "codec":
		return f.codecV, true
	}
	v := f.methods.all.RawGetString(key)
	return v, v != lua.LNil
}

// framedMethodTable is the framed type's methods, with the two every
// message calls at hand.
type framedMethodTable struct {
	all        *lua.LTable
	recv, send lua.LValue
}

// OpenFrame is the loader of the frame module.
func OpenFrame(L *lua.LState) int {
	newType(L, CodecTypeName, codecMethods, map[string]lua.LGFunction{"__tostring": codecString})
	mt := L.NewTypeMetatable(FramedTypeName)
	methods := L.SetFuncs(L.NewTable(), framedMethods)
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int { return framedIndex(L, methods) }))
	L.SetField(mt, "__tostring", L.NewFunction(framedString))
	L.SetField(mt, "__name", lua.LString(FramedTypeName))
	L.SetField(mt, "methods", methods)
	L.Push(L.SetFuncs(L.NewTable(), frameFuncs))
	return 1
}

// codecOpts reads the options table at n: max and little.
func codecOpts(L *lua.LState, n int) (max int, little bool) {
	max = framing.DefaultMax
	if L.Get(n) == lua.LNil {
		return max, false
	}
	opts := L.CheckTable(n)
	if v := opts.RawGetString("max"); v != lua.LNil {
		m, ok := v.(lua.LNumber)
		if !ok || m < 1 || float64(m) != float64(int(m)) {
			L.ArgError(n, "max must be a whole number >= 1")
		}
		max = int(m)
	}
	return max, lua.LVAsBool(opts.RawGetString("little"))
}

// pushGoCodec makes a codec value from a constructor, checking it once.
func pushGoCodec(L *lua.LState, argn int, max int, mk func(max int) (framing.Codec, error)) int {
	c, err := mk(max)
	if err != nil {
		L.ArgError(argn, err.Error())
	}
	L.Push(newUserData(L, &codec{name: c.Name(), max: max, goc: c, make: mk}, CodecTypeName))
	return 1
}

// frameHeader implements frame.header([width=10][, opts]) -> codec: the
// tutorial's ASCII decimal length, left-aligned and space-padded.
func frameHeader(L *lua.LState) int {
	width := L.OptInt(1, 10)
	max, _ := codecOpts(L, 2)
	return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Header(width, max) })
}

// frameUint makes frame.u8/u16/u32/u64([opts]) -> codec: a binary length
// prefix, big-endian unless opts.little.
func frameUint(size int) lua.LGFunction {
	return func(L *lua.LState) int {
		max, little := codecOpts(L, 1)
		return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Uint(size, little, max) })
	}
}

// frameVarint implements frame.varint([opts]) -> codec: a protobuf
// base-128 length prefix.
func frameVarint(L *lua.LState) int {
	max, _ := codecOpts(L, 1)
	return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Varint(max), nil })
}

// frameLine implements frame.line([delim="\n"][, opts]) -> codec: frames
// end with delim, which decode strips ("\n" also strips a "\r" before it).
func frameLine(L *lua.LState) int {
	delim := L.OptString(1, "\n")
	max, _ := codecOpts(L, 2)
	return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Line(delim, max) })
}

// frameNetstring implements frame.netstring([opts]) -> codec: "5:hello,".
func frameNetstring(L *lua.LState) int {
	max, _ := codecOpts(L, 1)
	return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Netstring(max), nil })
}

// frameFixed implements frame.fixed(n[, opts]) -> codec: every frame is n
// bytes.
func frameFixed(L *lua.LState) int {
	n := L.CheckInt(1)
	max, _ := codecOpts(L, 2)
	if max < n {
		max = n
	}
	return pushGoCodec(L, 1, max, func(max int) (framing.Codec, error) { return framing.Fixed(n, max) })
}

// frameNew implements frame.new{encode = fn, decode = fn[, name = s]} ->
// codec. encode(msg) returns the bytes; decode(buf) returns msg, used, or
// nil when it needs more bytes, or nil, err for bad input. msg may be any
// Lua value but nil (a structured codec: a RESP parser returns a reply
// table), and f:recv() returns it as it is.
func frameNew(L *lua.LState) int {
	spec := L.CheckTable(1)
	enc, ok1 := spec.RawGetString("encode").(*lua.LFunction)
	dec, ok2 := spec.RawGetString("decode").(*lua.LFunction)
	if !ok1 || !ok2 {
		L.ArgError(1, "codec needs encode and decode functions")
	}
	name := "lua"
	if s, ok := spec.RawGetString("name").(lua.LString); ok {
		name = string(s)
	}
	max, _ := codecOpts(L, 2)
	L.Push(newUserData(L, &codec{name: name, max: max, encodeFn: enc, decodeFn: dec}, CodecTypeName))
	return 1
}

func checkCodec(L *lua.LState, n int) *codec {
	return checkUserData[*codec](L, n, "codec expected")
}

func checkFramed(L *lua.LState, n int) *framed {
	return checkUserData[*framed](L, n, "framed socket expected")
}

// encode frames msg with goc, c's Go codec at the maximum in force, or
// with c's Lua encoder when goc is nil (checking max itself).
func (c *codec) encode(L *lua.LState, msg string, goc framing.Codec, max int) ([]byte, error) {
	if goc == nil {
		if len(msg) > max {
			return nil, framing.ErrFrameTooLarge
		}
		L.Push(c.encodeFn)
		L.Push(lua.LString(msg))
		L.Call(1, 1)
		out := L.Get(-1)
		L.Pop(1)
		s, ok := out.(lua.LString)
		if !ok {
			L.RaiseError("codec %s: encode returned %s, not a string", c.name, out.Type())
		}
		return []byte(s), nil
	}
	return goc.Encode(nil, []byte(msg))
}

// decodeLua calls a Lua codec's decode(buf): msg, used | nil | nil, err.
// msg is any Lua value but nil: a string (at most max bytes) or a
// structured one (a table, a number, ...), bounded by the buffer it was
// decoded from.
func (c *codec) decodeLua(L *lua.LState, buf []byte, max int) (used int, msg lua.LValue, err error) {
	L.Push(c.decodeFn)
	L.Push(lua.LString(buf))
	L.Call(1, 2)
	m, u := L.Get(-2), L.Get(-1)
	L.Pop(2)
	if m == lua.LNil {
		if u == lua.LNil {
			return 0, nil, nil
		}
		return 0, nil, errors.New(u.String())
	}
	n, ok := u.(lua.LNumber)
	if !ok || n < 1 || float64(n) != float64(int(n)) || int(n) > len(buf) {
		L.RaiseError("codec %s: decode must return msg, used (1..%d), got used %s", c.name, len(buf), u.String())
	}
	if s, ok := m.(lua.LString); ok && len(s) > max {
		return 0, nil, framing.ErrFrameTooLarge
	}
	return int(n), m, nil
}

// frameBytes is what a trace shows of a received frame: a string message
// as it is; for a structured one, the frame's bytes on the wire.
func frameBytes(msg lua.LValue, raw []byte) []byte {
	if s, ok := msg.(lua.LString); ok {
		return []byte(s)
	}
	return raw
}

// codecEncode implements codec:encode(msg) -> bytes | nil, err.
func codecEncode(L *lua.LState) int {
	c := checkCodec(L, 1)
	out, err := c.encode(L, L.CheckString(2), c.goc, c.max)
	if err != nil {
		return pushFrameError(L, err, nil)
	}
	L.Push(lua.LString(out))
	return 1
}

// codecDecode implements codec:decode(buf) -> msg, used | nil | nil, err.
func codecDecode(L *lua.LState) int {
	c := checkCodec(L, 1)
	buf := []byte(L.CheckString(2))
	var used int
	var msg lua.LValue
	var err error
	if c.goc == nil {
		used, msg, err = c.decodeLua(L, buf, c.max)
	} else {
		var m []byte
		used, m, err = c.goc.Decode(buf)
		msg = lua.LString(m)
	}
	switch {
	case err != nil:
		return pushFrameError(L, err, nil)
	case used == 0:
		L.Push(lua.LNil)
		return 1
	}
	L.Push(msg)
	L.Push(lua.LNumber(used))
	return 2
}

// pushFrameError is pushIOError for framed I/O: a codec's own message
// ("bad header: ...") is kept as is, and a buffer that outgrew the
// maximum is "frame too large".
func pushFrameError(L *lua.LState, err error, partial []byte) int {
	if errors.Is(err, netio.ErrTooLong) {
		err = framing.ErrFrameTooLarge
	}
	return pushIOError(L, err, partial)
}

// frameWrap implements frame.wrap(sock, codec[, {max = bytes}]) -> framed
// socket. Bytes the socket already buffered are read first.
func frameWrap(L *lua.LState) int {
	s := checkSocket(L, 1)
	c := checkCodec(L, 2)
	max, _ := codecOpts(L, 3)
	if L.Get(3) == lua.LNil {
		max = c.max
	}
	f := &framed{sock: s, sockUD: L.Get(1), codec: c, codecV: L.Get(2), max: max}
	f.flushFn = f.flush
	f.methods = framedMethodsOf(L)
	defer func() {
		if f.goc != nil {
			s.SetFramer(c.name, codecFramer{f.goc})
			f.encode, f.decode = f.goc.Encode, f.goc.Decode
			if a, ok := f.goc.(framing.Around); ok {
				f.around = a.EncodeAround
			}
			f.took = func(frame []byte) { f.msg = newLString(frame) }
		}
	}()
	switch {
	case c.goc == nil: // a Lua codec
	case max == c.max:
		f.goc = c.goc
	default:
		gc, err := c.make(max)
		if err != nil {
			L.ArgError(3, err.Error())
		}
		f.goc = gc
	}
	L.Push(newUserData(L, f, FramedTypeName))
	return 1
}

// framedMethodsOf is the framed type's methods of L's state (made once
// per state, kept in the type's metatable).
func framedMethodsOf(L *lua.LState) *framedMethodTable {
	mt := L.GetTypeMetatable(FramedTypeName).(*lua.LTable)
	if ud, ok := mt.RawGetString("__methodcache").(*lua.LUserData); ok {
		return ud.Value.(*framedMethodTable)
	}
	all := mt.RawGetString("methods").(*lua.LTable)
	m := &framedMethodTable{all: all, recv: all.RawGetString("recv"), send: all.RawGetString("send")}
	ud := L.NewUserData()
	ud.Value = m
	mt.RawSetString("__methodcache", ud)
	return m
}

// codecFramer shows the trace where a Go codec's frames begin and end.
type codecFramer struct{ c framing.Codec }

func (cf codecFramer) FrameSize(buf []byte) (header, body, trailer int, ok bool) {
	return framing.FrameSize(cf.c, buf)
}

// Resource is the framed socket's socket's: spawn(fn, f) hands the
// socket to the new task.
func (f *framed) Resource() *host.Resource { return f.sock.res }

// framedIndex implements f.sock, f.codec and the methods (one lookup:
// every f:recv() and f:send() goes through here).
func framedIndex(L *lua.LState, methods *lua.LTable) int {
	f := checkFramed(L, 1)
	switch key := L.CheckString(2); key {
	case "sock":
		L.Push(f.sockUD)
	case "codec":
		L.Push(f.codecV)
	default:
		L.Push(methods.RawGetString(key))
	}
	return 1
}

// framedSend implements f:send(msg) -> true | nil, err.
func framedSend(L *lua.LState) int {
	f := checkFramed(L, 1)
	msg := L.CheckString(2)
	if f.sock.Closed() {
		return pushIOError(L, netio.ErrClosed, nil)
	}
	w := newWaiter(L)
	var deferred bool
	var err error
	if f.goc != nil {
		deferred, err = f.sock.SendFrame(w, unsafeBytes(msg), f.encode, f.around, len(msg)+maxFrameOverhead, true)
	} else {
		deferred, err = f.sendLua(L, w, msg)
	}
	switch {
	case err != nil && isFrameError(err):
		return pushFrameError(L, err, nil)
	case err != nil:
		return netFailure(L, w, err, nil)
	case deferred:
		// The peer has pipelined more requests: the reply goes out with the
		// next write, before this task waits for anything.
		host.Of(L).Current().BeforeWait(f.sock, f.flushFn)
	}
	L.Push(lua.LTrue)
	return 1
}

// sendLua frames msg with a Lua codec's encode, then sends the frame.
func (f *framed) sendLua(L *lua.LState, w netWaiter, msg string) (deferred bool, err error) {
	out, err := f.codec.encode(L, msg, nil, f.max)
	if err != nil {
		return false, err
	}
	if f.sock.Tracing() {
		f.sock.Emit(netio.Event{Kind: wiretrace.Frame, Out: true, Data: []byte(msg), Codec: f.codec.name, Used: len(out), Ctx: w.Context()})
	}
	return f.sock.SendFrame(w, out, nil, nil, len(out), true)
}

// isFrameError reports whether err is the codec's (a message it cannot
// frame), not the socket's.
func isFrameError(err error) bool {
	var ferr *framing.FormatError
	return errors.Is(err, framing.ErrFrameTooLarge) || errors.As(err, &ferr)
}

// maxFrameOverhead is room for a codec's header and trailer beyond the
// message (a header(W) codec's W digits, a netstring's length, ':' and ',').
const maxFrameOverhead = 32

// unsafeBytes is s's bytes without a copy, for encoders that only read
// their message (Lua strings never change).
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// flush writes output deferred by send (before the task waits for
// anything else); an error waits for the socket's next call.
func (f *framed) flush(L *lua.LState) { f.sock.Flush(newWaiter(L)) }

// recv receives one frame (a string, or any value a Lua codec decoded);
// err carries partial bytes when it fails. A Go codec's frame becomes the
// Lua string straight from the socket's buffer.
func (f *framed) recv(L *lua.LState, w netWaiter) (msg lua.LValue, partial []byte, err error) {
	receiving(L, f.sock)
	if f.goc == nil {
		var used int
		var raw []byte
		msg, used, raw, partial, err = f.recvLua(L, w)
		if err == nil && f.sock.Tracing() {
			f.sock.Emit(netio.Event{Kind: wiretrace.Frame, Data: frameBytes(msg, raw), Codec: f.codec.name, Used: used, Ctx: w.Context()})
		}
		return msg, partial, err
	}
	// f.took sets f.msg; no other task runs before we read it (nothing
	// waits in between). RecvFrameWith reports the frame to the trace.
	if f.sock.TakeBufferedFrame(f.decode, f.took) {
		msg, f.msg = f.msg, nil
		return msg, nil, nil
	}
	f.msg = lua.LString("")
	partial, err = f.sock.RecvFrameWith(restartWaiter{w}, f.decode, f.took)
	msg, f.msg = f.msg, nil
	return msg, partial, err
}

// recvLua runs a Lua decoder over the socket's buffer, reading more (and
// waiting) until it finds a frame: any Lua value but nil, the bytes it
// used, and those bytes (raw).
func (f *framed) recvLua(L *lua.LState, w netWaiter) (msg lua.LValue, used int, raw, partial []byte, err error) {
	for {
		used, m, buf, eof, ok, derr := f.decodeBuffered(L)
		switch {
		case !ok: // another task is reading this socket: wait for it
		case derr != nil:
			return nil, 0, nil, buf, derr
		case used > 0:
			return m, used, buf[:used], nil, nil
		case eof:
			return nil, 0, nil, buf, netio.ErrClosed
		}
		err = f.sock.ReadMore(restartWaiter{w}, f.max+luaCodecSlack)
		if err != nil && !errors.Is(err, netio.ErrClosed) {
			return nil, 0, nil, buf, err // the bytes stay buffered; buf is a copy
		}
		if err != nil && f.sock.Closed() {
			return nil, 0, nil, buf, err
		}
		// At the end of the stream decode what is left once more, then report.
	}
}

// decodeBuffered runs the Lua decoder once over what the socket holds,
// with its read side taken (released even if the decoder raises). It
// consumes a frame it finds, and everything at the end of the stream; buf
// is a copy of the bytes it saw. ok is false when another task is reading.
func (f *framed) decodeBuffered(L *lua.LState) (used int, msg lua.LValue, buf []byte, eof, ok bool, err error) {
	ok = f.sock.Buffered(func(view []byte, atEOF bool) int {
		eof = atEOF
		buf = bytes.Clone(view)
		if len(buf) > 0 {
			used, msg, err = f.codec.decodeLua(L, buf, f.max)
			if err != nil {
				return 0
			}
		}
		if used == 0 && eof {
			return len(buf)
		}
		return used
	})
	return used, msg, buf, eof, ok, err
}

// framedRecv implements f:recv() -> msg | nil, err, partial. At the end of
// the stream err is "closed" and partial the bytes of an unfinished frame
// ("" after a whole number of frames).
func framedRecv(L *lua.LState) int {
	w := newWaiter(L)
	msg, partial, err := checkFramed(L, 1).recv(L, w)
	if err == netio.ErrSuspended {
		return L.Suspend() // called again once input is there
	}
	if err != nil {
		if partial == nil {
			partial = []byte{}
		}
		w.done()
		return pushFrameError(L, err, partial)
	}
	L.Push(msg)
	return 1
}

// framedFrames implements f:frames() -> iterator: for msg in f:frames()
// ends at a clean end of stream and raises on anything else (a timeout, a
// bad header, the peer closing in the middle of a frame).
func framedFrames(L *lua.LState) int {
	f := checkFramed(L, 1)
	L.Push(L.NewFunction(f.next))
	return 1
}

// next is the frames() iterator.
func (f *framed) next(L *lua.LState) int {
	w := newWaiter(L)
	msg, partial, err := f.recv(L, w)
	if err == netio.ErrSuspended {
		return L.Suspend() // called again once input is there
	}
	if err != nil {
		w.done()
	}
	switch {
	case err == nil:
		L.Push(msg)
	case errors.Is(err, netio.ErrClosed) && len(partial) == 0:
		L.Push(lua.LNil)
	case errors.Is(err, netio.ErrClosed):
		L.RaiseError("closed in the middle of a frame (%d bytes of it received)", len(partial))
	default:
		pushFrameError(L, err, nil)
		L.RaiseError("%s", L.Get(-1).String())
	}
	return 1
}

// framedClose implements f:close(): closes the socket.
func framedClose(L *lua.LState) int {
	closeSock(L, checkFramed(L, 1).sock)
	return 0
}

func codecString(L *lua.LState) int {
	L.Push(lua.LString("<codec " + checkCodec(L, 1).name + ">"))
	return 1
}

func framedString(L *lua.LState) int {
	f := checkFramed(L, 1)
	L.Push(lua.LString(fmt.Sprintf("<framed %s %s>", f.codec.name, SocketString(f.sock.Socket))))
	return 1
}
