package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/luatest"
	"netplay/runtime/netio"
	"netplay/runtime/sched"
	"netplay/runtime/wiretrace"
	"netplay/scripts"
)

// traceVirtual runs a Lua main chunk on a host in virtual time (a fixed
// clock, ports from 40000: the same trace every run) with the wire trace
// in format, and returns the trace.
func traceVirtual(t *testing.T, format lualib.TraceFormat, shape string, code string) string {
	t.Helper()
	var out, trace luatest.Buffer
	opts := host.Options{Clock: sched.NewVirtualClock(), Stdout: &out, Stderr: &out, OpenScript: scripts.Open}
	if shape != "" {
		spec, err := netio.ParseShape(shape)
		if err != nil {
			t.Fatal(err)
		}
		opts.Shape = &spec
	}
	h, err := lualib.NewHost(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lualib.SetTracing(h, format, &trace, true, nil)
	fn, err := h.L.LoadString(code)
	if err != nil {
		t.Fatal(err)
	}
	main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main"})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("still running: %v\n%s", h.Tasks(), out.String())
	}
	if _, err := main.Result(); err != nil {
		t.Fatalf("%s\n%s", host.FormatError(err), out.String())
	}
	h.Shutdown(shutdownGrace)
	return trace.String()
}

// The tutorial's scenes under the trace, in every format, are the golden
// files in testdata/trace (go test -update rewrites them): what a learner
// sees of recv(8), and of Part II's header framing, whole and split.
func TestGoldenTraces(t *testing.T) {
	scenes := []struct {
		name, shape, code string
	}{
		{"part1_recv8", "", `
			local srv = spawn(run, "part1/server")
			run("part1/client_recv8")
			srv:cancel()`},
		{"part1_recv8_loop", "", `
			local srv = spawn(run, "part1/server")
			run("part1/client_recv8_loop")
			srv:cancel()`},
		{"part2", "", `
			local srv = spawn(run, "part2/header_server", "1234", "3")
			run("part2/header_client", "1234", "3")
			srv:cancel()`},
		{"part2_split3", "split=3", `
			local srv = spawn(run, "part2/header_server", "1234", "3")
			run("part2/header_client", "1234", "2")
			srv:cancel()`},
	}
	for _, sc := range scenes {
		for _, format := range []lualib.TraceFormat{"text", "hex", "json"} {
			t.Run(sc.name+"."+string(format), func(t *testing.T) {
				got := traceVirtual(t, format, sc.shape, sc.code)
				if again := traceVirtual(t, format, sc.shape, sc.code); again != got {
					t.Fatalf("a second run traced otherwise:\n%s\n---\n%s", got, again)
				}
				ext := map[lualib.TraceFormat]string{"text": ".txt", "hex": ".hex", "json": ".jsonl"}[format]
				luatest.CheckGolden(t, filepath.Join("testdata", "trace", sc.name+ext), got, *update)
				if format == "json" {
					events, err := wiretrace.ReadJSONL(strings.NewReader(got))
					if err != nil {
						t.Fatal(err)
					}
					for _, ev := range events {
						if err := wiretrace.Validate(ev); err != nil {
							t.Errorf("event %d: %v", ev.Seq, err)
						}
					}
				}
			})
		}
	}
}

// A send is logged before its bytes can reach a reader: across 200 runs
// on the real network, no recv of bytes is logged before their send.
func TestTraceLogsASendBeforeItsRecv(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 20
	}
	for i := range runs {
		var trace luatest.Buffer
		h := luatest.NewHost(t, &trace, &trace)
		lualib.SetTracing(h, "json", &trace, true, nil)
		fn, err := h.L.LoadString(`
			local ls = assert(socket.listen("127.0.0.1:0"))
			local srv = spawn(function()
				local c = ls:accept()
				for i = 1, 5 do c:send("message " .. i .. ";") end
				c:close()
			end)
			local c = assert(socket.connect(ls:getsockname()))
			repeat local d = c:recv(7) until d == ""
			srv:join()
			ls:close()
		`)
		if err != nil {
			t.Fatal(err)
		}
		main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main"})
		<-main.Done()
		h.Shutdown(shutdownGrace)
		events, err := wiretrace.ReadJSONL(strings.NewReader(trace.String()))
		if err != nil {
			t.Fatalf("%v\n%s", err, trace.String())
		}
		var sent, received int64
		for _, ev := range events {
			switch ev.Event {
			case wiretrace.Send:
				sent += int64(ev.N)
			case wiretrace.Recv:
				received += int64(ev.N)
				if received > sent {
					t.Fatalf("run %d: %d bytes received when %d were logged as sent:\n%s", i, received, sent, trace.String())
				}
			}
		}
		if sent != received || sent == 0 {
			t.Fatalf("run %d: sent %d, received %d", i, sent, received)
		}
	}
}

var _ = bytes.Equal
var _ = os.ReadFile
