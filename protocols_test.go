package main

import (
	"regexp"
	"testing"

	"netplay/scripts"
)

// The kv protocol's own Lua spec, bundled beside it, run through the CLI
// as a user would load it (so require("kv") finds kv.lua beside it).
func TestKVSpec(t *testing.T) {
	src, err := scripts.FS.ReadFile("protocols/kv_test.lua")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^function (test_\w+)\(\)`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 5 {
		t.Fatalf("only %d tests in kv_test.lua", len(names))
	}
	for _, m := range names {
		t.Run(m[1], func(t *testing.T) {
			r := runCLI(t, "-e", `script.load("protocols/kv_test")() `+m[1]+`()`)
			if r.status != exitOK || r.stdout != "" || r.stderr != "" {
				t.Fatalf("status %d\nstdout %q\nstderr:\n%s", r.status, r.stdout, r.stderr)
			}
		})
	}
}

// The kv scripts end to end: the client's commands from its arguments
// and from typed lines, the server's log.
func TestKVServerAndClientScripts(t *testing.T) {
	srv := startSession(t, "kv server", "run", "protocols/kv_server", "127.0.0.1:0")
	addr := srv.listening(t).String()
	r := runCLI(t, "run", "protocols/kv_client", addr, "SET", "greeting", "hello,", "world")
	if r.status != exitOK || r.stdout != "OK\n" || r.stderr != "" {
		t.Fatalf("one command: status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
	srv.out.waitFor(t, "kv server", "left after 1 commands\n")
	typed := startSession(t, "kv client", "run", "protocols/kv_client", addr)
	for _, line := range []string{"get greeting", "DEL greeting", "GET greeting", "FLY", "QUIT", "GET never sent"} {
		typed.typeLine(t, line)
	}
	if status := typed.wait(t); status != exitOK || typed.errOut.String() != "" {
		t.Fatalf("typed: status %d stderr %q", status, typed.errOut.String())
	}
	want := "VALUE hello, world\nDELETED\nNOT_FOUND\nERR unknown command \"FLY\"\nBYE\n"
	if got := typed.out.String(); got != want {
		t.Fatalf("typed:\n%s\nwant:\n%s", got, want)
	}
	srv.out.waitFor(t, "kv server", "quit after 5 commands\n")
	srv.cancel()
	srv.wait(t)
	wantLog := `kv server on 127.0.0.1:PORT
127.0.0.1:PORT: connected
127.0.0.1:PORT: left after 1 commands
127.0.0.1:PORT: connected
127.0.0.1:PORT: quit after 5 commands
`
	if got := portRE.ReplaceAllString(srv.out.String(), "127.0.0.1:PORT"); got != wantLog {
		t.Fatalf("server log:\n%s\nwant:\n%s", got, wantLog)
	}
}
