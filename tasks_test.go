package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"netplay/runtime/host"
	"netplay/runtime/luatest"
)

// A script reads lines from a pipe that arrive with pauses between them,
// while a ticker task keeps ticking: io.lines waits only in its task. The
// test writes each line once the ticker has shown it ticks meanwhile.
func TestStdinWaitsOnlyInItsTask(t *testing.T) {
	script := writeScript(t, "read.lua", `
		local ticks = 0
		local ticker = every(0.005, function()
			ticks = ticks + 1
			print("tick " .. ticks)
		end)
		for line in io.lines() do print("line " .. line .. " at tick " .. ticks) end
		ticker:cancel()
		print("end")
	`)
	in, feed := io.Pipe()
	var out, errOut luatest.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"run", script}, Stdio{In: in, Out: &out, Err: &errOut}) }()
	waitOutput := func(want string) {
		t.Helper()
		for !strings.Contains(out.String(), want) {
			select {
			case <-ctx.Done():
				t.Fatalf("no %q in:\n%s\nstderr: %s", want, out.String(), errOut.String())
			case <-time.After(time.Millisecond):
			}
		}
	}
	for _, line := range []string{"one", "two", "three"} {
		ticksBefore := strings.Count(out.String(), "tick ")
		waitOutput(fmt.Sprintf("tick %d\n", ticksBefore+3)) // the ticker runs while the reader waits
		io.WriteString(feed, line+"\n")
		waitOutput("line " + line)
	}
	feed.Close()
	if status := <-done; status != exitOK {
		t.Fatalf("status %d, stderr %s", status, errOut.String())
	}
	var at []int
	for _, m := range regexp.MustCompile(`line \w+ at tick (\d+)`).FindAllStringSubmatch(out.String(), -1) {
		var n int
		fmt.Sscan(m[1], &n)
		at = append(at, n)
	}
	if len(at) != 3 || at[0] < 3 || at[1] < at[0]+3 || at[2] < at[1]+3 {
		t.Fatalf("ticks at each line %v: the ticker must tick between the lines\n%s", at, out.String())
	}
}

// Listing tasks (what :tasks and :kill do, from another goroutine) while
// Lua spawns them is safe: run it under -race.
func TestListingTasksWhileLuaSpawnsThem(t *testing.T) {
	var stdout, stderr luatest.Buffer
	h := luatest.NewHost(t, &stdout, &stderr)
	fn, err := h.L.LoadString(`
		for i = 1, 300 do spawn(function() sleep(0) end) end
	`)
	if err != nil {
		t.Fatal(err)
	}
	main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main"})
	for {
		select {
		case <-main.Done():
			if _, err := main.Result(); err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		for _, task := range h.Tasks() {
			_ = task.String() + task.Status() + task.BlockedOn()
			if h.Task(task.ID()) == nil {
				continue
			}
		}
	}
}

// A task that runs a second without waiting is named on stderr once, with
// where it is; cancelling it from Go (Ctrl-C, :kill) stops it.
func TestBusyTaskIsNamedOnceAndStops(t *testing.T) {
	var stdout, stderr luatest.Buffer
	h := luatest.NewHostWith(t, &stdout, &stderr, host.Options{BusyWarning: time.Second})
	fn, err := h.L.Load(strings.NewReader("local n = 0\nwhile true do\n  n = n + 1\nend\n"), "loop.lua")
	if err != nil {
		t.Fatal(err)
	}
	busy := h.Spawn(fn, nil, host.SpawnOptions{Name: "worker"})
	want := regexp.MustCompile(`^task 1 \(worker\) has run 1\.0 s without waiting, at loop\.lua:[234]; other tasks are stalled\n$`)
	deadline := time.After(testTimeout)
	for stderr.String() == "" {
		select {
		case <-deadline:
			t.Fatal("no warning")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if h.BusyTask() != busy {
		t.Fatalf("BusyTask() = %v", h.BusyTask())
	}
	busy.Cancel()
	select {
	case <-busy.Done():
	case <-deadline:
		t.Fatal("cancel did not stop the loop")
	}
	if !busy.Cancelled() {
		t.Fatalf("ended with %v", busy.Status())
	}
	if !want.MatchString(stderr.String()) {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// writeScript writes a script file in a temporary folder and returns its
// path.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
