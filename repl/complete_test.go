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
