// Package luatest runs Lua code on a real netplay host for tests: a chunk
// with Go values preset as globals, or every test_* function of a Lua file
// as a subtest. Every run is bounded in time and shuts its host down.
package luatest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
)

//go:embed luatest.lua
var luatestLua string

// preloadTestlib makes require "luatest" give the Lua test helpers.
func preloadTestlib(L *lua.LState) {
	L.PreloadModule("luatest", func(L *lua.LState) int {
		fn, err := L.LoadString(luatestLua)
		if err != nil {
			L.RaiseError("luatest.lua: %v", err)
		}
		L.Push(fn)
		L.Call(0, 1)
		return 1
	})
}

// Timeout bounds every run.
const Timeout = 20 * time.Second

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.b.Write(p)
}

// WaitFor waits until what was written holds s, for at most timeout;
// it reports whether it does.
func (b *Buffer) WaitFor(s string, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		if strings.Contains(b.b.String(), s) {
			b.mu.Unlock()
			return true
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Result is what a run printed and how its main chunk ended.
type Result struct {
	Stdout, Stderr string
	Err            error // the main chunk's error, nil when it returned
	Values         []lua.LValue
	// Globals are the string globals at the end of the run.
	Globals map[string]string
}

// NewHost returns a host with every module, output captured in the
// buffers, shut down at the end of the test. Its busy-task warning is off:
// a spec's own work (compiling a big chunk under -race) may keep the
// interpreter a second; NewHostWith sets it.
func NewHost(t testing.TB, stdout, stderr *Buffer) *host.Host {
	t.Helper()
	return newHost(t, stdout, stderr, host.Options{})
}

// NewHostWith is NewHost with opts (their Stdout and Stderr replaced).
func NewHostWith(t testing.TB, stdout, stderr *Buffer, opts host.Options) *host.Host {
	t.Helper()
	return newHost(t, stdout, stderr, opts)
}

// newHost is NewHost with opts (their Stdout and Stderr replaced; the
// busy-task warning off unless opts set it).
func newHost(t testing.TB, stdout, stderr *Buffer, opts host.Options) *host.Host {
	t.Helper()
	opts.Stdout, opts.Stderr = stdout, stderr
	if opts.BusyWarning == 0 {
		opts.BusyWarning = -1
	}
	h, err := lualib.NewHost(opts)
	if err != nil {
		t.Fatal(err)
	}
	preloadTestlib(h.L)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("host close: %v", err)
		}
	})
	return h
}

// SetGlobals sets Go values as Lua globals: strings, ints, floats, bools,
// addresses and Go functions (lua.LGFunction).
func SetGlobals(h *host.Host, globals map[string]any) {
	for k, v := range globals {
		h.L.SetGlobal(k, toLua(h.L, v))
	}
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case lua.LGFunction:
		return L.NewFunction(v)
	case string:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case net.Addr:
		return lua.LString(v.String())
	case nil:
		return lua.LNil
	}
	panic(fmt.Sprintf("luatest: cannot convert %T", v))
}

// Run runs code as a main chunk with globals set, waits until every task
// it started has finished, and returns what happened.
func Run(t testing.TB, code string, globals map[string]any) Result {
	t.Helper()
	return run(t, code, globals, host.Options{})
}

// run is Run on a host made with opts.
func run(t testing.TB, code string, globals map[string]any, opts host.Options) Result {
	t.Helper()
	var stdout, stderr Buffer
	h := newHost(t, &stdout, &stderr, opts)
	SetGlobals(h, globals)
	fn, err := h.L.LoadString(code)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	main := h.Spawn(fn, nil, host.SpawnOptions{Name: "main", ErrorPrefix: "main"})
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		t.Fatalf("tasks still running after %v: %v\nstdout:\n%s\nstderr:\n%s", Timeout, h.Tasks(), stdout.String(), stderr.String())
	}
	values, err := main.Result()
	strs := map[string]string{}
	h.L.G.Global.ForEach(func(k, v lua.LValue) {
		if v.Type() == lua.LTString {
			strs[k.String()] = v.String()
		}
	})
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err, Values: values, Globals: strs}
}

// MustRun is Run failing the test when the main chunk raised.
func MustRun(t testing.TB, code string, globals map[string]any) Result {
	t.Helper()
	r := Run(t, code, globals)
	if r.Err != nil {
		t.Fatalf("lua error: %v\nstdout:\n%s\nstderr:\n%s", host.FormatError(r.Err), r.Stdout, r.Stderr)
	}
	return r
}

// RunFile runs every global function named test_* defined by the Lua file
// as a subtest, each on a fresh host. A test fails when it raises or when
// a task it started fails.
func RunFile(t *testing.T, path string, globals map[string]any) {
	t.Helper()
	RunFileWith(t, path, globals, host.Options{})
}

// RunFileWith is RunFile on hosts made with opts (limits such as
// MaxAlloc; output is captured as always).
func RunFileWith(t *testing.T, path string, globals map[string]any, opts host.Options) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range testNames(t, path, src) {
		t.Run(strings.TrimPrefix(name, "test_"), func(t *testing.T) {
			code := string(src) + "\nreturn " + name + "()\n"
			r := run(t, code, globals, opts)
			if r.Err != nil {
				t.Fatalf("%s", host.FormatError(r.Err))
			}
			checkStderr(t, r)
		})
	}
}

// checkStderr fails the test when stderr is not empty, or, when the test
// set the global EXPECT_STDERR (a Go regexp), when stderr does not match it.
func checkStderr(t *testing.T, r Result) {
	t.Helper()
	want := r.Globals["EXPECT_STDERR"]
	if want == "" {
		if r.Stderr != "" {
			t.Fatalf("stderr:\n%s", r.Stderr)
		}
		return
	}
	if !regexp.MustCompile(want).MatchString(r.Stderr) {
		t.Fatalf("stderr does not match %q:\n%s", want, r.Stderr)
	}
}

// testNames loads the file once and lists its test_* globals, sorted.
func testNames(t *testing.T, path string, src []byte) []string {
	L := lua.NewState()
	defer L.Close()
	for _, m := range lualib.Modules {
		L.PreloadModule(m.Name, m.Loader)
	}
	preloadTestlib(L)
	fn, err := L.Load(bytes.NewReader(src), path)
	if err != nil {
		t.Fatal(err)
	}
	// Only defining the functions: the chunk's top level must not do I/O.
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	var names []string
	L.G.Global.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && strings.HasPrefix(string(s), "test_") && v.Type() == lua.LTFunction {
			names = append(names, string(s))
		}
	})
	sort.Strings(names)
	return names
}
