package lualib_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
	"netplay/runtime/tracer"
	"netplay/runtime/wiretrace"
)

// record runs the Lua script at path on a host whose session is recorded
// (as netplay --record does) and returns the recording, every event of
// it checked against the schema.
func record(t *testing.T, path string) string {
	t.Helper()
	rec := filepath.Join(t.TempDir(), "session.jsonl")
	file, err := os.Create(rec)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr luatest.Buffer
	h, err := lualib.NewHost(host.Options{Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	h.SetTraceSink("record", &tracer.JSON{W: file}, nil)
	fn, err := h.L.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main"})
	ctx, cancel := context.WithTimeout(context.Background(), luatest.Timeout)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("%s: still running: %v", path, err)
	}
	if _, err := main.Result(); err != nil {
		t.Fatalf("%s: %s", path, host.FormatError(err))
	}
	h.Close()
	h.SetTraceSink("record", nil, nil)
	file.Close()
	if stdout.String() != "HELLO\nREPLAY\n" || stderr.String() != "" {
		t.Fatalf("%s printed %q, %q", path, stdout.String(), stderr.String())
	}
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := wiretrace.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if err := wiretrace.Validate(ev); err != nil {
			t.Fatalf("event %d: %v", ev.Seq, err)
		}
	}
	return rec
}

// replay.peer specified in Lua, against a recording of both ends of a
// session made here.
func TestReplayPeer(t *testing.T) {
	rec := record(t, "testdata/replay/session.lua")
	luatest.RunFile(t, "testdata/replay_test.lua", map[string]any{"RECORDING": rec})
}
