package main

import (
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"netplay/runtime/luatest"
)

const part3Client = `new message length: 156
{
  done = false,
  numbers = {1, 2, 3.5, -40},
  ok = true,
  player = {
    items = {"sword", "map"},
    level = 7,
    name = "ann",
    position = {
      x = 1.5,
      y = -2,
    },
  },
  seed = {"hi", "there"},
}
player ann is at level 7 and carries a map
`

// The Part III pair: the table goes out as JSON in a header frame and
// comes back as the same nested table.
func TestPart3ObjectRoundTrip(t *testing.T) {
	srv := startServer(t, "run", "part3/object_server", "127.0.0.1:0")
	r := runCLI(t, "run", "part3/object_client", srv.addr.String())
	if r.status != exitOK || r.stdout != part3Client || r.stderr != "" {
		t.Fatalf("status %d stderr %q\nstdout:\n%s\nwant:\n%s", r.status, r.stderr, r.stdout, part3Client)
	}

	// What is on the wire is plain JSON: Go's decoder reads the same object.
	c, err := net.Dial("tcp", srv.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	var got any
	if err := json.Unmarshal([]byte(readHeaderFrame(t, c)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"seed": []any{"hi", "there"}, "numbers": []any{1.0, 2.0, 3.5, -40.0}, "ok": true, "done": false,
		"player": map[string]any{"name": "ann", "level": 7.0, "items": []any{"sword", "map"},
			"position": map[string]any{"x": 1.5, "y": -2.0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("on the wire: %#v", got)
	}
	r = srv.stop()
	if strings.Count(r.stdout, "has been established!\n") != 2 || r.stderr != "" {
		t.Fatalf("server: %q %q", r.stdout, r.stderr)
	}
}

// The client refuses what is not the object it expects, with a message.
func TestPart3ClientRefusesBadMessages(t *testing.T) {
	cases := []struct{ name, sent, want string }{
		{"not JSON", headerFrame(`{"player": ann}`), "new message length: 15\nbad message: json: invalid character 'a' looking for beginning of value at line 1, column 12\n"},
		{"JSON of another shape", headerFrame(`[1, 2]`), "new message length: 6\nunexpected message: [1, 2]\n"},
		{"nothing", "", "no message: closed\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := luatest.ServeTCP(t, func(conn net.Conn) { conn.Write([]byte(c.sent)) })
			r := runCLI(t, "run", "part3/object_client", addr.String())
			if r.status != exitOK || r.stdout != c.want || r.stderr != "" {
				t.Fatalf("status %d stderr %q\nstdout %q\nwant   %q", r.status, r.stderr, r.stdout, c.want)
			}
		})
	}
}
