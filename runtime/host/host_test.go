package host

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// blockingWait is a Lua function that blocks its task until ch is closed.
func blockingWait(ch chan struct{}) lua.LGFunction {
	return func(L *lua.LState) int {
		Of(L).Block(L, "test wait", func(ctx context.Context) {
			select {
			case <-ch:
			case <-ctx.Done():
			}
		})
		L.Push(lua.LString("woke"))
		return 1
	}
}

// waitBlocked returns once task is waiting in Block (the state it
// publishes on entering it), failing the test after a bound.
func waitBlocked(t *testing.T, task *Task) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for task.BlockedOn() == "" {
		if time.Now().After(deadline) {
			t.Fatalf("%v never blocked", task)
		}
		runtime.Gosched()
	}
}

func TestTasksRunConcurrentlyUnderOneLock(t *testing.T) {
	var out bytes.Buffer
	h := New(Options{Stdout: &out})
	defer h.Close()
	release := make(chan struct{})
	h.L.SetGlobal("wait", h.L.NewFunction(blockingWait(release)))
	fn, err := h.L.LoadString(`local ok, v = pcall(wait); print("waiter", ok, v)`)
	if err != nil {
		t.Fatal(err)
	}
	waiter := h.Spawn(fn, nil, SpawnOptions{Name: "waiter"})
	waitBlocked(t, waiter)
	if got := waiter.State(); got != "waiting: test wait" {
		t.Fatalf("state %q", got)
	}
	other, _ := h.L.LoadString(`print("other ran")`)
	<-h.Spawn(other, nil, SpawnOptions{}).Done() // runs while waiter blocks
	close(release)
	<-waiter.Done()
	if got := out.String(); got != "other ran\nwaiter\ttrue\twoke\n" {
		t.Fatalf("output %q", got)
	}
}

func TestShutdownCancelsBlockedTasks(t *testing.T) {
	var errOut bytes.Buffer
	h := New(Options{Stderr: &errOut})
	never := make(chan struct{})
	h.L.SetGlobal("wait", h.L.NewFunction(blockingWait(never)))
	fn, _ := h.L.LoadString(`wait()`)
	t1 := h.Spawn(fn, nil, SpawnOptions{})
	waitBlocked(t, t1)
	if err := h.Shutdown(time.Second); err != nil {
		t.Fatal(err)
	}
	if !t1.Cancelled() || errOut.Len() != 0 {
		t.Fatalf("cancelled %v, stderr %q", t1.Cancelled(), errOut.String())
	}
	h.L.Close()
}

func TestErrorReportNamesTheTask(t *testing.T) {
	var errOut bytes.Buffer
	h := New(Options{Stderr: &errOut})
	defer h.Close()
	fn, _ := h.L.LoadString(`error("broken")`)
	t1 := h.Spawn(fn, nil, SpawnOptions{})
	<-t1.Done()
	if !strings.HasPrefix(errOut.String(), "task 1: <string>:1: broken\nstack traceback:\n") || !h.Failed() {
		t.Fatalf("stderr %q failed %v", errOut.String(), h.Failed())
	}
	quiet := h.Spawn(fn, nil, SpawnOptions{Quiet: true})
	<-quiet.Done()
	if _, err := quiet.Result(); err == nil || strings.Count(errOut.String(), "broken") != 1 {
		t.Fatalf("a quiet task's error is kept, not printed: %v %q", err, errOut.String())
	}
}

func TestBlockOutsideTaskPanics(t *testing.T) {
	h := New(Options{})
	defer h.Close()
	defer func() {
		if r := recover(); r == nil || r != "netplay: a wait outside any task" {
			t.Fatalf("recover() = %v", r)
		}
	}()
	h.Block(h.L, "x", func(context.Context) {})
}
