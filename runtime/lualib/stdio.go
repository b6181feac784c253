package lualib

// Standard functions that wait, made to wait only in their task: the
// standard library's versions hold the interpreter while they wait, so a
// chat client's io.read froze every other task.
//
//	io.read(...)  io.lines()  io.stdin:read(...)  io.stdin:lines()
//	    from standard input (io.read and io.lines while io.input() is stdin)
//	os.execute(cmd) -> status        waits for the command outside the interpreter
//	io.popen(cmd[, "r"|"w"]) -> p    p:read(...) p:lines() p:write(...) p:close() -> status
//
// The formats are Lua 5.1's: "*l" (default), "*L", "*n", "*a", or a count
// (the "*" may be left out, as in Lua 5.3).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// Type names of the standard input and command pipes.
const (
	StdinTypeName = "netplay.stdin"
	PipeTypeName  = "netplay.pipe"
)

var inputMethods = map[string]lua.LGFunction{
	"read":  inputRead,
	"lines": inputLines,
	"close": inputClose,
	"write": pipeWrite,
}

// input is something read with cancellable waits: standard input, or a
// command's output.
type input struct {
	r    *host.Stdin
	cmd  *exec.Cmd // a command's pipe
	w    io.WriteCloser
	mu   sync.Mutex
	done bool
}

// OpenStdio replaces the waiting functions of the io and os modules. It is
// called by the host's setup, once the standard libraries are open.
func OpenStdio(L *lua.LState) int {
	newType(L, StdinTypeName, inputMethods, map[string]lua.LGFunction{"__tostring": inputString})
	newType(L, PipeTypeName, inputMethods, map[string]lua.LGFunction{"__tostring": inputString})
	ioMod, ok := L.GetGlobal("io").(*lua.LTable)
	if !ok {
		return 0
	}
	stdinFile := ioMod.RawGetString("stdin")
	origInput, _ := ioMod.RawGetString("input").(*lua.LFunction)
	origRead, _ := ioMod.RawGetString("read").(*lua.LFunction)
	origLines, _ := ioMod.RawGetString("lines").(*lua.LFunction)
	stdin := newUserData(L, &input{r: host.Of(L).Stdin()}, StdinTypeName)
	// Reading stdin goes through netplay's reader only while io.input()
	// is still standard input; a file set with io.input(f) reads as usual.
	onStdin := func(L *lua.LState) bool {
		if origInput == nil {
			return true
		}
		L.Push(origInput)
		L.Call(0, 1)
		cur := L.Get(-1)
		L.Pop(1)
		return cur == stdinFile
	}
	ioMod.RawSetString("read", L.NewFunction(func(L *lua.LState) int {
		if onStdin(L) || origRead == nil {
			L.Insert(stdin, 1)
			return inputRead(L)
		}
		return callOriginal(L, origRead)
	}))
	ioMod.RawSetString("lines", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 0 && (onStdin(L) || origLines == nil) {
			L.Push(stdin)
			return inputLines(L)
		}
		return callOriginal(L, origLines)
	}))
	// io.stdin stays Lua's file (io.input(io.stdin) takes it); its read
	// and lines methods go through netplay's reader.
	if fileMT, ok := L.GetTypeMetatable("FILE*").(*lua.LTable); ok {
		for name, mine := range map[string]lua.LGFunction{"read": inputRead, "lines": inputLines} {
			orig, ok := fileMT.RawGetString(name).(*lua.LFunction)
			if !ok {
				continue
			}
			fileMT.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
				if L.Get(1) == stdinFile {
					L.Remove(1)
					L.Insert(stdin, 1)
					return mine(L)
				}
				return callOriginal(L, orig)
			}))
		}
	}
	ioMod.RawSetString("popen", L.NewFunction(ioPopen))
	if osMod, ok := L.GetGlobal("os").(*lua.LTable); ok {
		osMod.RawSetString("execute", L.NewFunction(osExecute))
		osMod.RawSetString("exit", L.NewFunction(osExit))
	}
	return 0
}

// callOriginal calls fn with the arguments on L's stack and returns its
// results.
func callOriginal(L *lua.LState, fn *lua.LFunction) int {
	L.Insert(fn, 1)
	L.Call(L.GetTop()-1, lua.MultRet)
	return L.GetTop()
}

func checkInput(L *lua.LState, n int) *input {
	return checkUserData[*input](L, n, "file expected")
}

// inputRead implements io.read(...) and f:read(...): one value per format.
// The task waits; the others run.
func inputRead(L *lua.LState) int {
	in := checkInput(L, 1)
	if in.r == nil {
		L.ArgError(1, "not opened for reading")
	}
	formats := []lua.LValue{lua.LString("*l")}
	if L.GetTop() > 1 {
		formats = formats[:0]
		for i := 2; i <= L.GetTop(); i++ {
			formats = append(formats, L.Get(i))
		}
	}
	h := host.Of(L)
	var results []lua.LValue
	for i, f := range formats {
		var v lua.LValue
		var err error
		h.Block(L, "stdin", func(ctx context.Context) { v, err = readFormat(ctx, in.r, f) })
		if err == errBadFormat {
			L.ArgError(i+2, "invalid format")
		}
		if err != nil && !errors.Is(err, io.EOF) {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		results = append(results, v)
		if v == lua.LNil {
			break // Lua stops at the first failure
		}
	}
	for _, v := range results {
		L.Push(v)
	}
	return len(results)
}

var errBadFormat = errors.New("invalid format")

// readFormat reads one value of format f: a line, a number, everything,
// or n bytes; nil at the end of the input.
func readFormat(ctx context.Context, r *host.Stdin, f lua.LValue) (lua.LValue, error) {
	if n, ok := f.(lua.LNumber); ok {
		s, err := r.ReadN(ctx, int(n))
		if errors.Is(err, io.EOF) {
			return lua.LNil, nil
		}
		return lua.LString(s), err
	}
	switch strings.TrimPrefix(lua.LVAsString(f), "*") {
	case "l", "line":
		return orNil(r.ReadLine(ctx, false))
	case "L":
		return orNil(r.ReadLine(ctx, true))
	case "a", "all":
		s, err := r.ReadAll(ctx)
		return lua.LString(s), err
	case "n", "number":
		v, ok, err := r.ReadNumber(ctx)
		if !ok {
			return lua.LNil, err
		}
		return lua.LNumber(v), err
	}
	return lua.LNil, errBadFormat
}

func orNil(s string, err error) (lua.LValue, error) {
	if errors.Is(err, io.EOF) {
		return lua.LNil, nil
	}
	return lua.LString(s), err
}

// inputLines implements io.lines() and f:lines(): an iterator over the
// lines, each read waiting only in its task.
func inputLines(L *lua.LState) int {
	in := checkInput(L, 1)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		var v lua.LValue
		var err error
		host.Of(L).Block(L, "stdin", func(ctx context.Context) { v, err = orNil(in.r.ReadLine(ctx, false)) })
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		L.Push(v)
		return 1
	}))
	return 1
}

// inputClose implements f:close(): for a command, waits for it to end and
// returns its exit status (Lua 5.1's); standard input stays open.
func inputClose(L *lua.LState) int {
	in := checkInput(L, 1)
	if in.cmd == nil {
		L.Push(lua.LTrue)
		return 1
	}
	in.mu.Lock()
	already := in.done
	in.done = true
	in.mu.Unlock()
	if already {
		L.ArgError(1, "attempt to use a closed file")
	}
	if in.w != nil {
		in.w.Close()
	}
	var err error
	host.Of(L).Block(L, "command", func(ctx context.Context) { err = in.cmd.Wait() })
	L.Push(lua.LNumber(exitStatus(err)))
	return 1
}

// pipeWrite implements p:write(...) on io.popen(cmd, "w").
func pipeWrite(L *lua.LState) int {
	in := checkInput(L, 1)
	if in.w == nil {
		L.ArgError(1, "not opened for writing")
	}
	var b strings.Builder
	for i := 2; i <= L.GetTop(); i++ {
		b.WriteString(L.CheckString(i))
	}
	var err error
	host.Of(L).Block(L, "command", func(context.Context) { _, err = io.WriteString(in.w, b.String()) })
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(L.Get(1))
	return 1
}

func inputString(L *lua.LState) int {
	in := checkInput(L, 1)
	if in.cmd != nil {
		L.Push(lua.LString(fmt.Sprintf("<command %s>", strings.Join(in.cmd.Args, " "))))
	} else {
		L.Push(lua.LString("<stdin>"))
	}
	return 1
}

// shell builds the command for os.execute and io.popen, as C's system()
// and popen() do.
func shell(ctx context.Context, cmd string) *exec.Cmd {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Stderr = os.Stderr
	return c
}

// exitStatus is the status Lua 5.1's os.execute returns: the exit code, or
// 1 when the command could not run.
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return 1
}

// osExit implements os.exit([code]): the run ends with code (true: 0,
// false: 1; default 0), every socket closed and every task stopped, as
// after the main chunk; the calling task waits for that. (The process
// exiting at once would skip the shutdown.)
func osExit(L *lua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	}
	h := host.Of(L)
	h.RequestExit(code)
	h.Park(L, "exit", h.Parker(), time.Time{})
	return 0
}

// osExecute implements os.execute([cmd]) -> status: the command runs with
// the interpreter given up (other tasks go on) and is killed if the task is
// cancelled. Without cmd it returns 1 (a shell is there), as Lua 5.1 does.
func osExecute(L *lua.LState) int {
	if L.GetTop() == 0 {
		L.Push(lua.LNumber(1))
		return 1
	}
	cmd := L.CheckString(1)
	h := host.Of(L)
	var err error
	h.Block(L, "os.execute", func(ctx context.Context) {
		c := shell(ctx, cmd)
		c.Stdout = h.Stdout()
		err = c.Run()
	})
	L.Push(lua.LNumber(exitStatus(err)))
	return 1
}

// ioPopen implements io.popen(cmd[, mode]) -> pipe | nil, err: "r" reads
// the command's output, "w" writes to its input; every wait is the task's
// own, and the command is killed if the task is cancelled.
func ioPopen(L *lua.LState) int {
	cmdline := L.CheckString(1)
	mode := L.OptString(2, "r")
	if mode != "r" && mode != "w" {
		L.ArgError(2, `mode must be "r" or "w"`)
	}
	c := shell(host.Of(L).Context(), cmdline)
	in := &input{cmd: c}
	var err error
	if mode == "r" {
		var out io.ReadCloser
		if out, err = c.StdoutPipe(); err == nil {
			in.r = host.NewStdin(out)
		}
	} else {
		c.Stdout = host.Of(L).Stdout()
		in.w, err = c.StdinPipe()
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(newUserData(L, in, PipeTypeName))
	return 1
}
