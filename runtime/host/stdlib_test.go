package host

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// runChunk runs code as a task of a new host and returns what it printed
// and its error, if any.
func runChunk(t *testing.T, code string, globals map[string]string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	h := New(Options{Stdout: &out})
	defer h.Close()
	for k, v := range globals {
		h.L.SetGlobal(k, lua.LString(v))
	}
	fn, err := h.L.LoadString(code)
	if err != nil {
		t.Fatal(err)
	}
	task := h.Spawn(fn, nil, SpawnOptions{Quiet: true})
	<-task.Done()
	_, err = task.Result()
	return out.String(), err
}

// tostring returns what a __tostring metamethod returns, whatever it is,
// as Lua 5.1 does (the suite's events.lua).
func TestTostringReturnsWhatTheMetamethodReturns(t *testing.T) {
	out, err := runChunk(t, `
		local a = setmetatable({}, {__metatable = "xuxu", __tostring = function(x) return x.name end})
		assert(tostring(a) == nil, "nil from __tostring")
		a.name = "NAME"
		assert(tostring(a) == "NAME")
		local t = {}
		assert(tostring(setmetatable({}, {__tostring = function() return t end})) == t, "a table from __tostring")
		print(tostring(1764115200.123456), tostring(2^53), a)`, nil)
	if err != nil || out != "1764115200.123456\t9007199254740992\tNAME\n" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

// print refuses a __tostring that returns no string, as Lua 5.1 does.
func TestPrintRefusesATostringThatIsNoString(t *testing.T) {
	out, err := runChunk(t, `print("before", setmetatable({}, {__tostring = function() return nil end}))`, nil)
	if err == nil || ErrorValue(err).String() != "<string>:1: 'tostring' must return a string to 'print'" || out != "" {
		t.Fatalf("output %q, error %v", out, err)
	}
}

// io.write writes to the host's Stdout while io.output() is the standard
// output, and to the file io.output(file) chose after that, as Lua does
// (the suite's files.lua).
func TestIOWriteFollowsIOOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	out, err := runChunk(t, `
		io.write("to stdout ", 1.5, "\n")
		io.output(PATH)
		assert(io.output() ~= io.stdout)
		io.write("to the file ", 2.5)
		io.close(io.output())
		io.output(io.stdout)
		io.write("stdout again\n")`, map[string]string{"PATH": path})
	if err != nil || out != "to stdout 1.5\nstdout again\n" {
		t.Fatalf("output %q, error %v", out, err)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "to the file 2.5" {
		t.Fatalf("file %q, %v", data, err)
	}
}

// coroutine.running() is nil in a task's own thread, as in Lua's main
// thread, and the coroutine inside one the script made (the suite's
// closure.lua).
func TestCoroutineRunningIsNilInATask(t *testing.T) {
	out, err := runChunk(t, `
		local co
		co = coroutine.create(function() return coroutine.running() == co end)
		local wrapped = coroutine.wrap(function() return type(coroutine.running()) end)
		print(coroutine.running(), select(2, coroutine.resume(co)), wrapped())`, nil)
	if err != nil || out != "nil\ttrue\tthread\n" {
		t.Fatalf("output %q, error %v", out, err)
	}
}
