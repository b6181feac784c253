package repl

// Evaluation: each entry runs as a foreground task, which Ctrl-C cancels.

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// tracebackFrames bounds the frames an error's traceback shows.
const tracebackFrames = 10

// foreground runs fn(args...) as the foreground task and prints what it
// returned, or its error. Ctrl-C (an interrupt) cancels it; background
// tasks go on. leave says the session ends meanwhile (ctx was cancelled,
// or os.exit was called), with status.
//
// hint, when not "", is printed (at a terminal) if the entry is still
// running once every task has reached a wait: it runs in the foreground
// and keeps the prompt away (netplay -i part1/server).
func (r *REPL) foreground(ctx context.Context, fn *lua.LFunction, args []lua.LValue, hint string) (status int, leave bool) {
	intr, stop := r.interrupts() // before the entry starts: no Ctrl-C is missed
	defer stop()
	all := append([]lua.LValue{fn}, args...)
	t := r.h.Spawn(r.body, all, host.SpawnOptions{Name: "repl", Quiet: true, Borrow: true})
	settled := r.settledWhileRunning(ctx, hint)
	for {
		select {
		case <-t.Done():
		case <-settled:
			settled = nil
			if t.Status() != "done" {
				fmt.Fprintln(r.stderr, hint)
			}
			continue
		case <-intr:
			t.Cancel()
			<-t.Done()
		case <-ctx.Done():
			t.Cancel()
			<-t.Done()
			return exitInterrupted, true
		case code := <-r.exits:
			return code, true
		}
		break
	}
	r.report(t)
	r.remember(t)
	return exitOK, false
}

// settledWhileRunning is closed once every task has reached a wait (at
// most settleTime), when there is a hint to give at a terminal; nil
// otherwise.
func (r *REPL) settledWhileRunning(ctx context.Context, hint string) <-chan struct{} {
	if hint == "" || !r.cfg.Terminal {
		return nil
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		ctx, cancel := context.WithTimeout(ctx, settleTime)
		defer cancel()
		r.h.WaitQuiet(ctx)
	}()
	return ch
}

// interrupts is where Ctrl-C arrives while an entry runs: the injected
// channel, or SIGINT on a terminal (liner is out of raw mode then, so the
// terminal turns Ctrl-C into SIGINT). On a pipe, nothing.
func (r *REPL) interrupts() (<-chan os.Signal, func()) {
	if r.cfg.Interrupts != nil {
		return r.cfg.Interrupts, func() {}
	}
	if !r.cfg.Terminal {
		return nil, func() {}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	return ch, func() { signal.Stop(ch) }
}

// report prints how the foreground task ended: its rendered results, its
// error with a short traceback, or "interrupted".
func (r *REPL) report(t *host.Task) {
	results, err := t.Result()
	switch {
	case t.Cancelled():
		fmt.Fprintln(r.stderr, "interrupted")
	case err != nil:
		fmt.Fprintln(r.stderr, host.EscapeText(strings.TrimRight(host.ErrorValue(err).String(), "\n")))
	case len(results) > 0:
		fmt.Fprintln(r.stdout, results[0].String())
	}
}

// remember keeps the entries that left sockets open, for :tasks.
func (r *REPL) remember(t *host.Task) {
	kept := r.entries[:0]
	for _, e := range r.entries {
		if len(r.h.Owned(e)) > 0 {
			kept = append(kept, e)
		}
	}
	if len(r.h.Owned(t)) > 0 {
		kept = append(kept, t)
	}
	r.entries = kept
}

// entryBody is the foreground task's function: entryBody(chunk, ...)
// calls chunk(...) and returns its results rendered as one string (nothing
// when there are none). An error is raised again as one string: the
// message and a short traceback that ends at the chunk.
func entryBody(L *lua.LState) int {
	chunk := L.CheckFunction(1)
	nargs := L.GetTop() - 1
	self, _ := L.GetStack(0)
	body, _ := L.GetInfo("f", self, lua.LNil)
	err := L.PCall(nargs, lua.MultRet, L.NewFunction(tracebackHandler(chunk, body)))
	if err != nil {
		L.Error(host.ErrorValue(err), 0)
	}
	if L.GetTop() == 0 {
		return 0
	}
	results := make([]lua.LValue, L.GetTop())
	for i := range results {
		results[i] = L.Get(i + 1)
	}
	rememberResult(L, results[0])
	p := printer{metaString: metaStringIn(L)}
	L.Push(lua.LString(p.values(results)))
	return 1
}

// metaStringIn calls __tostring metamethods on L (the foreground task's
// thread, so they may block and Ctrl-C stops them).
func metaStringIn(L *lua.LState) func(lua.LValue) (string, bool) {
	return func(v lua.LValue) (string, bool) {
		if L.GetMetaField(v, "__tostring") == lua.LNil {
			return "", false
		}
		return host.EscapeText(L.ToStringMeta(v).String()), true
	}
}

// tracebackHandler is the message handler of an entry's chunk: it turns
// the error value into its message and a traceback of the frames from the
// error up to chunk, which is named "main chunk". body is the function
// that called chunk, where the traceback ends when chunk made a tail call
// (`return f()`, as every expression entry is compiled).
func tracebackHandler(chunk *lua.LFunction, body lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		msg := errorMessage(L, L.Get(1))
		frames := stackFrames(L, chunk, body)
		if len(frames) > 0 {
			msg += "\nstack traceback:\n\t" + strings.Join(shorten(frames, tracebackFrames), "\n\t")
		}
		L.Push(lua.LString(msg))
		return 1
	}
}

// errorMessage renders an error value: a string as is, anything else
// printed (error{code = 1} shows "error object: {code = 1}").
func errorMessage(L *lua.LState, v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return "error object: " + printer{metaString: metaStringIn(L)}.value(v)
}

// stackFrames describes the calls from where the error was raised (level 1:
// level 0 is the handler itself) down to chunk, as Lua's traceback does.
func stackFrames(L *lua.LState, chunk *lua.LFunction, body lua.LValue) []string {
	var frames []string
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return frames
		}
		fn, err := L.GetInfo("nSlf", dbg, lua.LNil)
		switch {
		case err != nil:
			return frames
		case fn == chunk:
			return append(frames, where(dbg)+" in main chunk")
		case fn == body:
			return append(frames, "(...tail calls...)")
		}
		frames = append(frames, where(dbg)+" in "+functionLabel(dbg.Name))
	}
}

// where is a frame's position: "stdin:3:", or "[G]:" for Go functions.
func where(dbg *lua.Debug) string {
	if dbg.What == "G" || dbg.CurrentLine < 0 {
		return "[G]:"
	}
	return fmt.Sprintf("%s:%d:", dbg.Source, dbg.CurrentLine)
}

// functionLabel is how a traceback names a function: function 'g', or
// function <stdin:3> when it has no name.
func functionLabel(name string) string {
	if name == "" {
		return "function <?>"
	}
	if name[0] == '<' || name[0] == '(' {
		return "function " + name
	}
	return "function '" + name + "'"
}

// shorten keeps the first and last frames of a long traceback.
func shorten(frames []string, max int) []string {
	if len(frames) <= max {
		return frames
	}
	head, tail := max/2+1, max/2-1
	out := append([]string{}, frames[:head]...)
	out = append(out, fmt.Sprintf("... (%d more)", len(frames)-head-tail))
	return append(out, frames[len(frames)-tail:]...)
}
