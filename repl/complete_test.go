package repl

import (
	"reflect"
	"testing"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
)

func TestCompleteWord(t *testing.T) {
	h, err := lualib.NewHost(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.L.DoString(`
		sock = socket.tcp()
		framed = frame.wrap(sock, frame.header())
		config = {server = {port = 5000, ports = {}}, ["not a name"] = 1}
		obj = setmetatable({own = function() end, field = 1}, {__index = {inherited = function() end}})
		text = "abc"
	`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line  string
		pos   int // -1: the end of the line
		head  string
		words []string
		tail  string
	}{
		{"sock", -1, "", []string{"sock", "socket"}, ""},
		{"socket.con", -1, "socket.", []string{"connect"}, ""},
		{"socket.", -1, "socket.", []string{"AF_INET", "AF_INET6", "AF_UNIX", "SOCK_DGRAM", "SOCK_STREAM", "address", "connect", "gethostname", "listen", "pair", "socket", "tcp", "udp"}, ""},
		{"x = sock:recv", -1, "x = sock:", []string{"recv", "recv_exactly", "recv_until", "recvfrom"}, ""},
		{"sock:se", -1, "sock:", []string{"send", "sendall", "sendto", "setblocking", "settimeout"}, ""},
		{"framed:", -1, "framed:", []string{"close", "frames", "peek", "recv", "send", "unread"}, ""},
		{"spawn(print):j", -1, "spawn(print):", nil, ""},
		{"config.server.po", -1, "config.server.", []string{"port", "ports"}, ""},
		{"config.", -1, "config.", []string{"server"}, ""},
		{"obj:", -1, "obj:", []string{"inherited", "own"}, ""},
		{"obj.", -1, "obj.", []string{"field", "inherited", "own"}, ""},
		{"text:up", -1, "text:", []string{"upper"}, ""},
		{"print(sock:getp) -- after", 15, "print(sock:", []string{"getpeername"}, ") -- after"},
		{"whi", -1, "", []string{"while"}, ""},
		{"nosuch.x", -1, "", nil, ""},
		{"1.5", -1, "", nil, ""},
		{"config.server.port.x", -1, "", nil, ""},
		// fields of fields, and no metatable internals
		{"framed.", -1, "framed.", []string{"close", "codec", "frames", "peek", "recv", "send", "sock", "unread"}, ""},
		{"framed.sock:getp", -1, "framed.sock:", []string{"getpeername"}, ""},
		{"framed.codec:", -1, "framed.codec:", []string{"decode", "encode"}, ""},
		{"string.f", -1, "string.", []string{"find", "format"}, ""},
		{"string._", -1, "string.", nil, ""},
		{"string.__", -1, "string.", []string{"__index"}, ""},
	}
	for _, c := range cases {
		pos := c.pos
		if pos < 0 {
			pos = len([]rune(c.line))
		}
		h.Lock()
		head, words, tail := completeWord(h.L, c.line, pos)
		h.Unlock()
		if c.words != nil && (head != c.head || tail != c.tail) || !reflect.DeepEqual(words, c.words) {
			t.Errorf("complete %q at %d:\n got  %q %q %q\n want %q %q %q", c.line, pos, head, words, tail, c.head, c.words, c.tail)
		}
	}
}

// Commands complete by name, and :load by file and bundled script names;
// other commands' arguments are not completed.
func TestCompleteCommand(t *testing.T) {
	cases := []struct {
		line  string
		head  string
		words []string
	}{
		{":lo", "", []string{":load "}},
		{":", "", []string{":attach ", ":help ", ":kill ", ":load ", ":next ", ":quit ", ":tasks ", ":trace "}},
		{"  :t", "  ", []string{":tasks ", ":trace "}},
		{":load testdata/repl/gr", ":load ", []string{"testdata/repl/greet.lua"}},
		{":load testdata/re", ":load ", []string{"testdata/repl/"}},
		{":load part1/client_r", ":load ", []string{"part1/client_recv8", "part1/client_recv8_loop"}},
		{":l   part2/header_s", ":l   ", []string{"part2/header_server"}},
		{":load part1/server 50", ":load part1/server 50", nil},
		{":kill 1", ":kill 1", nil},
	}
	for _, c := range cases {
		head, words, tail, ok := completeCommand(c.line, len([]rune(c.line)))
		if !ok || head != c.head || tail != "" || !reflect.DeepEqual(words, c.words) {
			t.Errorf("complete %q: got %v %q %q %q, want %q %q", c.line, ok, head, words, tail, c.head, c.words)
		}
	}
	if _, _, _, ok := completeCommand("x = 1 :", 7); ok {
		t.Error("a line of Lua was taken for a command")
	}
	if _, _, _, ok := completeCommand("::label::", 9); ok {
		t.Error("a label was taken for a command")
	}
}
