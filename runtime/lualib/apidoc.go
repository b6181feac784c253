package lualib

// The Lua API in one table: every function and method scripts get, with
// its signature as the README's API tables write it and what it does in
// one line. The REPL's :help prints from it; readme_test.go checks that the
// README's tables have exactly these signatures, and apidoc_test.go that
// every registered function and method is here and nothing else.

import (
	"regexp"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// Doc documents one function or method.
type Doc struct {
	Module string // the module whose help lists it: "socket", "frame", "task", ...
	Sig    string // as the README writes it: "socket.connect(addr[, timeout])", "s:recv(n)"
	Does   string // what it does or returns, one line
}

// Receivers names the values of each userdata type in method signatures
// (s:recv(n) is a socket's method).
var Receivers = map[string]string{
	"s":     SocketTypeName,
	"f":     FramedTypeName,
	"codec": CodecTypeName,
	"t":     TaskTypeName,
	"tm":    TimerTypeName,
	"q":     QueueTypeName,
	"ev":    EventTypeName,
	"lk":    LockTypeName,
	"g":     GroupTypeName,
	"p":     PeerTypeName,
}

// API is the Lua API, module by module, in the README's order.
var API = []Doc{
	{"socket", "socket.socket([family[, type]])", "a new socket: socket.AF_INET (default), AF_INET6, AF_UNIX; SOCK_STREAM (default), SOCK_DGRAM"},
	{"socket", "socket.tcp()", "a new IPv4 TCP socket"},
	{"socket", "socket.udp()", "a new IPv4 UDP socket"},
	{"socket", "socket.listen(addr[, backlog or {tls = ...}])", "a listening TCP socket, or nil, err; with tls, its connections are TLS"},
	{"socket", "socket.connect(addr[, timeout or {tls = ..., timeout = S}])", "a connected TCP socket, or nil, err; with tls, after its handshake"},
	{"socket", "socket.pair()", "two connected TCP sockets a, b (in-process under virtual time), or nil, err"},
	{"socket", "socket.gethostname()", "the machine's name"},
	{"socket", "socket.address(spec[, default])", `a script argument [host:]port as "host:port" (host 127.0.0.1)`},
	{"socket", "s:bind(addr)", "bind to a local address (port 0: the OS picks); true or nil, err"},
	{"socket", "s:listen([backlog])", "start accepting connections"},
	{"socket", "s:accept()", "conn, peer_addr, or nil, err"},
	{"socket", "s:connect(addr)", "true or nil, err"},
	{"socket", "s:send(data)", "bytes written, or nil, err, written"},
	{"socket", "s:sendall(data)", "true, or nil, err, written"},
	{"socket", "s:recv(n)", `up to n bytes; "" at the end of the stream`},
	{"socket", "s:recv_exactly(n)", "exactly n bytes, or nil, err, partial"},
	{"socket", "s:recv_until(delim[, max])", "the bytes before delim (consumed), or nil, err, partial"},
	{"socket", "s:peek(n)", `up to n buffered bytes, not consumed (waits for at least one); "" at the end of the stream`},
	{"socket", "s:unread(data)", "put data back in front of the buffer: every receive returns it first; true, or nil, err"},
	{"socket", "s:sendto(data, addr)", "bytes sent (UDP)"},
	{"socket", "s:recvfrom(n)", "data, addr (UDP)"},
	{"socket", "s:settimeout(seconds or nil)", "a deadline for each later blocking call; nil waits forever"},
	{"socket", "s:gettimeout()", "the timeout settimeout set, or nil"},
	{"socket", "s:setblocking(flag)", "false: settimeout(0); true: settimeout(nil)"},
	{"socket", `s:shutdown("r" or "w" or "rw")`, `close one direction: after "w" the peer reads the end of the stream`},
	{"socket", "s:close()", "close; closing twice is harmless"},
	{"socket", "s:shape(spec)", "faults on demand for the socket's own writes: {split = N, delay = S, jitter = S, coalesce = true, close_after = B, reset_after = B, seed = N}; UDP: {drop = P, duplicate = P, reorder = true}; {} stops"},
	{"socket", "s:shaped()", "the shape in force as a table, or nil"},
	{"socket", "s:starttls([opts])", "upgrade the connection to TLS (client side by default): true, or nil, err"},
	{"socket", "s:tlsinfo()", "a TLS connection's {version, cipher, alpn, servername, peer}; a TLS listener's {fingerprint, subject, not_after}; nil otherwise"},
	{"socket", "s:certificate_pem()", "a TLS listener's certificate as PEM text (for a client's ca)"},
	{"socket", "s:getsockname()", `the local address, "host:port"`},
	{"socket", "s:getpeername()", `the peer's address, "host:port"`},

	{"frame", "frame.header([width=10])", "the tutorial's codec: the length in ASCII digits, space-padded to width"},
	{"frame", "frame.u8()", "a 1-byte length prefix"},
	{"frame", "frame.u16()", "a 2-byte big-endian length prefix ({little = true}: little-endian)"},
	{"frame", "frame.u32()", "a 4-byte big-endian length prefix ({little = true}: little-endian)"},
	{"frame", "frame.u64()", "an 8-byte big-endian length prefix ({little = true}: little-endian)"},
	{"frame", "frame.varint()", "a protobuf base-128 length prefix"},
	{"frame", `frame.line([delim="\n"])`, "frames end with delim, stripped on decode"},
	{"frame", "frame.netstring()", "5:hello,"},
	{"frame", "frame.fixed(n)", "every frame is exactly n bytes"},
	{"frame", "frame.new{encode = fn, decode = fn[, name = s]}", "a codec written in Lua; decode may return any value (a structured codec)"},
	{"frame", "codec:encode(msg)", "the framed bytes, or nil, err"},
	{"frame", "codec:decode(buf)", "msg, used; nil when buf holds no whole frame yet; or nil, err"},
	{"frame", "frame.wrap(sock, codec[, {max = bytes}])", "a framed socket f: whole messages in, whole messages out"},
	{"frame", "f:send(msg)", "true, or nil, err"},
	{"frame", "f:recv()", "the next message, or nil, err, partial"},
	{"frame", "f:frames()", "an iterator over the messages: for msg in f:frames() do ... end"},
	{"frame", "f:peek(n)", "s:peek(n) on the socket underneath: raw bytes, no frame consumed"},
	{"frame", "f:unread(data)", "s:unread(data) on the socket underneath: the next f:recv() decodes it first"},
	{"frame", "f:close()", "close the socket underneath (f.sock; f.codec is the codec)"},

	{"task", "spawn(fn, ...)", "run fn(...) as a new task, at once, until it first waits; returns the task"},
	{"task", "yield()", "let every task that is ready now run, then go on"},
	{"task", "t:join([timeout])", `wait for t: its results, or nil, err (what it raised, "cancelled", "timeout")`},
	{"task", "t:cancel([{children = true}])", "stop t at its next wait or Lua instruction; with children, every task it spawned too"},
	{"task", "t:status()", `"running", "ready", "waiting: recv", "done", "cancelled" or "failed: msg"`},
	{"task", "t:id()", "the task's number"},
	{"task", "t:name()", "the task's name, as :tasks shows it"},
	{"task", "task.current()", "the running task"},

	{"sync", "sync.queue([max])", "a FIFO queue q of at most max items (default 1024; math.huge: no bound)"},
	{"sync", "q:put(v[, timeout])", "add v, waiting while the queue is full; true, or nil, err"},
	{"sync", "q:get([timeout])", "the oldest value, waiting while the queue is empty; or nil, err"},
	{"sync", "q:try_put(v)", `add v without waiting: true, or nil, "full"`},
	{"sync", "q:try_get()", `the oldest item without waiting, or nil, "empty"`},
	{"sync", "q:close()", `wake every waiter with nil, "closed" (get drains first)`},
	{"sync", "q:len()", "the number of values queued (#q too)"},
	{"sync", "sync.event()", "an event ev, not set"},
	{"sync", "ev:set()", "set it: every waiter wakes"},
	{"sync", "ev:clear()", "unset it"},
	{"sync", "ev:is_set()", "whether it is set"},
	{"sync", "ev:wait([timeout])", "wait until it is set: true, or nil, err"},
	{"sync", "sync.lock()", "a lock lk, for exclusive use across waits"},
	{"sync", "lk:acquire([timeout])", "take it, waiting while another task holds it: true, or nil, err"},
	{"sync", "lk:release()", "let it go"},
	{"sync", "lk:with(fn, ...)", "fn(...) holding the lock, released even if fn raises"},
	{"sync", "lk:locked()", "whether a task holds it"},
	{"sync", "sync.group()", "a task group g: its tasks are cancelled together"},
	{"sync", "g:spawn(fn, ...)", "spawn(fn, ...) into the group; the tasks it spawns join it too"},
	{"sync", "g:cancel()", "cancel every task of the group"},
	{"sync", "g:wait([timeout])", "wait until every task of the group has ended"},
	{"sync", "g:len()", "the number of live tasks in the group (#g too)"},
	{"sync", "wait_any(list[, timeout])", "wait for the first of the tasks, queues and events in list: its index, then what it gave"},
	{"sync", "wait_all(list[, timeout])", "wait for all of them: a table of their results"},

	{"timer", "sleep(seconds)", "wait; sleep(0) lets the other tasks run"},
	{"timer", "now()", "seconds since the epoch, with microseconds"},
	{"timer", "monotonic()", "seconds on a clock that never goes back"},
	{"timer", "after(seconds, fn)", "call fn() once, as its own task; returns a timer"},
	{"timer", "every(seconds, fn)", "call fn() every interval until cancelled; returns a timer"},
	{"timer", "tm:cancel()", "fire no more"},

	{"bin", "bin.pack(fmt, ...)", "the values packed as a string (Lua 5.3's string.pack formats)"},
	{"bin", "bin.unpack(fmt, s[, pos])", "the values read from s at pos, then the position after them"},
	{"bin", "bin.packsize(fmt)", "the size bin.pack(fmt, ...) makes"},
	{"bin", "bin.hex(s)", "lowercase hex, two digits a byte"},
	{"bin", "bin.unhex(hex)", "the bytes, or nil, err"},
	{"bin", "bin.hexdump(s)", "xxd's layout, 16 bytes a line"},

	{"json", `json.encode(v[, {indent = "  "}])`, "JSON text, object keys sorted"},
	{"json", "json.decode(s)", "the value, or nil, err"},
	{"json", "json.array([t])", "t (or a new table), marked to encode as an array"},
	{"json", "json.object([t])", "t (or a new table), marked to encode as an object"},

	{"bit", "bit.tobit(x)", "x as a signed 32-bit number"},
	{"bit", "bit.tohex(x[, n])", "n hex digits of x (default 8); negative n: upper case"},
	{"bit", "bit.bnot(x)", "bitwise not"},
	{"bit", "bit.band(x, ...)", "bitwise and of all"},
	{"bit", "bit.bor(x, ...)", "bitwise or of all"},
	{"bit", "bit.bxor(x, ...)", "bitwise exclusive or of all"},
	{"bit", "bit.lshift(x, n)", "x shifted left by n (mod 32)"},
	{"bit", "bit.rshift(x, n)", "x shifted right by n, zeros in"},
	{"bit", "bit.arshift(x, n)", "x shifted right by n, copies of the sign bit in"},
	{"bit", "bit.rol(x, n)", "x rotated left by n"},
	{"bit", "bit.ror(x, n)", "x rotated right by n"},
	{"bit", "bit.bswap(x)", "x with its four bytes reversed"},

	{"script", "run(name, ...)", "run a script file or a bundled script in the calling task"},
	{"script", "script.load(name)", "the script compiled as a function, not run"},
	{"trace", "trace(what)", `the wire trace: true, false, "hex", "json", a socket (that one only) or fn(event)`},
	{"trace", "trace.on()", "trace(true)"},
	{"trace", "trace.off()", "trace(false)"},
	{"trace", "trace.name(sock)", `the socket's name in the trace ("c3"), or nil before it appears`},

	{"replay", "replay.peer(file[, opts])", "play one side of a recording as a mock peer: a peer p (p.addr), or nil, err"},
	{"replay", "p:wait([timeout])", "true when the live side did what the recording says, else nil, report"},
	{"replay", "p:close()", "stop the replay: its listener and connections close"},
}

// extraModules are modules other packages install on top of lualib's
// (the test runner's expect and testing), added with RegisterAPI.
var extraModules []host.Module

// RegisterAPI adds modules installed on top of lualib's, with their docs
// (appended to API, so :help and the README check see them) and the
// receivers of their methods' signatures.
func RegisterAPI(mods []host.Module, docs []Doc, receivers map[string]string) {
	extraModules = append(extraModules, mods...)
	API = append(API, docs...)
	for name, typeName := range receivers {
		Receivers[name] = typeName
	}
}

// extraNames are the names of the modules RegisterAPI added.
func extraNames() []string {
	var names []string
	for _, m := range extraModules {
		names = append(names, m.Name)
	}
	return names
}

// sigName matches what a signature calls: a global (spawn), a module's
// function (socket.connect) or a method (s:recv), followed by ( or {.
var sigName = regexp.MustCompile(`^([A-Za-z_]\w*)(?:([.:])([A-Za-z_]\w*))?\s*[({]`)

// ParseSig splits a signature into what it calls: ("socket", ".",
// "connect"), ("s", ":", "recv"), or ("spawn", "", ""). ok is false when sig
// calls nothing (a field such as f.sock).
func ParseSig(sig string) (head, sep, name string, ok bool) {
	m := sigName.FindStringSubmatch(sig)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// Callee is how a signature is looked up: "socket.connect", "s:recv",
// "spawn".
func Callee(sig string) string {
	head, sep, name, ok := ParseSig(sig)
	if !ok {
		return ""
	}
	return head + sep + name
}

// ModuleDocs returns the docs :help MODULE lists, in order.
func ModuleDocs(module string) []Doc {
	var out []Doc
	for _, d := range API {
		if d.Module == module {
			out = append(out, d)
		}
	}
	return out
}

// MethodDocs returns the docs of the methods of a userdata type.
func MethodDocs(typeName string) []Doc {
	var out []Doc
	for _, d := range API {
		if head, sep, _, ok := ParseSig(d.Sig); ok && sep == ":" && Receivers[head] == typeName {
			out = append(out, d)
		}
	}
	return out
}

// FindDoc returns the doc of a callee written as in a signature
// ("socket.connect", "s:recv", "spawn", also "f:recv()"), or false.
func FindDoc(callee string) (Doc, bool) {
	callee = strings.TrimSuffix(strings.TrimSpace(callee), "()")
	for _, d := range API {
		if Callee(d.Sig) == callee {
			return d, true
		}
	}
	return Doc{}, false
}

// CheckAPI compares API with what L (a host with every module installed)
// registers: undocumented lists the module functions and methods that no
// Doc names, unknown the Docs that name nothing registered. A module
// function that is also a global (task.spawn) is documented by either
// name; a callable module (trace) by a signature calling it.
func CheckAPI(L *lua.LState) (undocumented, unknown []string) {
	documented := map[string]bool{}
	for _, d := range API {
		documented[Callee(d.Sig)] = true
	}
	registered := map[string]bool{}
	absent := map[string]bool{} // extra modules L does not have
	for _, m := range append(append([]host.Module{}, Modules...), extraModules...) {
		mod, ok := L.GetGlobal(m.Name).(*lua.LTable)
		if !ok && contains(extraNames(), m.Name) {
			absent[m.Name] = true
			continue
		}
		if !ok {
			undocumented = append(undocumented, m.Name+" (not a global table)")
			continue
		}
		if _, ok := L.GetMetaField(mod, "__call").(*lua.LFunction); ok {
			registered[m.Name] = true
		}
		mod.ForEach(func(k, v lua.LValue) {
			name := k.String()
			if v.Type() != lua.LTFunction {
				return
			}
			registered[m.Name+"."+name] = true
			if contains(m.Globals, name) {
				registered[name] = true
				if !documented[m.Name+"."+name] && !documented[name] {
					undocumented = append(undocumented, m.Name+"."+name)
				}
			} else if !documented[m.Name+"."+name] {
				undocumented = append(undocumented, m.Name+"."+name)
			}
		})
		if registered[m.Name] && !documented[m.Name] {
			undocumented = append(undocumented, m.Name+"(...)")
		}
	}
	for recv, typeName := range Receivers {
		for _, name := range methodNamesOf(L, typeName) {
			registered[recv+":"+name] = true
			if !documented[recv+":"+name] {
				undocumented = append(undocumented, recv+":"+name)
			}
		}
	}
	for _, d := range API {
		if c := Callee(d.Sig); !registered[c] && !absent[d.Module] {
			unknown = append(unknown, d.Sig)
		}
	}
	sort.Strings(undocumented)
	return undocumented, unknown
}

// methodNamesOf lists the methods of a userdata type (see methodNames).
func methodNamesOf(L *lua.LState, typeName string) []string {
	mt, ok := L.GetTypeMetatable(typeName).(*lua.LTable)
	if !ok {
		return nil
	}
	return methodNames(mt)
}

// methodNames lists, sorted, the methods a userdata metatable gives: its
// __index table's functions, or its "methods" table's when __index is a
// function.
func methodNames(mt *lua.LTable) []string {
	methods, ok := mt.RawGetString("__index").(*lua.LTable)
	if !ok {
		methods, ok = mt.RawGetString("methods").(*lua.LTable)
	}
	if !ok {
		return nil
	}
	var names []string
	methods.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && v.Type() == lua.LTFunction {
			names = append(names, string(s))
		}
	})
	sort.Strings(names)
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
