package repl

// The REPL's commands: lines that start with ":".
//
//	:help [TOPIC]      :help tutorial [N|all]   :next
//	:load FILE [ARGS...]   :tasks   :kill N   :trace on|off|hex|json|CONN
//	:attach CONN [crlf|raw]   :view [off]   :quit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/lualib"
	"netplay/runtime/netio"
)

// commands are the REPL's commands and their short forms, for completion.
var commands = []string{"attach", "help", "kill", "load", "next", "quit", "tasks", "trace"}

// killWait bounds how long :kill waits to see the task end.
const killWait = 2 * time.Second

// command runs a command line. leave says the session ends, with status.
func (r *REPL) command(ctx context.Context, line string) (status int, leave bool) {
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), ":"))
	if len(fields) == 0 {
		fmt.Fprintln(r.stderr, "a command follows the colon: :help lists them")
		return exitOK, false
	}
	name, args := fields[0], fields[1:]
	switch name {
	case "help", "h", "?":
		r.help(args)
	case "next", "n":
		r.out(r.tutorial.show([]string{"next"}))
	case "attach", "a":
		return r.attach(ctx, args)
	case "load", "l":
		return r.load(ctx, args, "")
	case "tasks", "t":
		r.listTasks(r.stdout)
	case "kill", "k":
		r.kill(args)
	case "trace":
		r.trace(args)
	case "view":
		r.view(args)
	case "quit", "q", "exit":
		return exitOK, true
	default:
		fmt.Fprintf(r.stderr, "unknown command :%s (:help lists them)\n", name)
	}
	return exitOK, false
}

// load implements :load FILE [ARGS...]: the script (a file, or a bundled
// one such as part1/server) runs as the foreground entry, over the
// session's globals, with arg = {[0] = FILE, ARGS...} and ARGS as `...`.
// hint is foreground's.
func (r *REPL) load(ctx context.Context, args []string, hint string) (status int, leave bool) {
	if len(args) == 0 {
		fmt.Fprintln(r.stderr, "usage: :load FILE [ARGS...]   (a file, or a bundled script: :load part1/server 5000)")
		return exitOK, false
	}
	var values []lua.LValue
	r.h.Lock()
	fn, err := lualib.LoadScript(r.h.L, args[0])
	if err == nil {
		values = lualib.SetArg(r.h.L, args[0], args[1:])
	}
	r.h.Unlock()
	if err != nil {
		fmt.Fprintln(r.stderr, syntaxMessage(err))
		return exitOK, false
	}
	return r.foreground(ctx, fn, values, hint)
}

// kill implements :kill N: task N is cancelled (the sockets it owns are
// closed) and the command waits a moment to see it end.
func (r *REPL) kill(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(r.stderr, "usage: :kill N   (N from :tasks)")
		return
	}
	id, err := strconv.Atoi(strings.TrimPrefix(args[0], "#"))
	t := r.h.Task(id)
	if err != nil || t == nil {
		fmt.Fprintf(r.stderr, "no task %s (:tasks lists them)\n", args[0])
		return
	}
	t.Cancel()
	select {
	case <-t.Done():
		fmt.Fprintf(r.stdout, "task %d cancelled\n", id)
	case <-time.After(killWait):
		fmt.Fprintf(r.stderr, "task %d was told to stop and has not yet\n", id)
	}
}

// trace implements :trace on|off|hex|json|CONN: the wire trace on stderr,
// for every socket or for the connection the trace calls CONN (c3).
func (r *REPL) trace(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(r.stderr, "usage: :trace on|off|hex|json|CONN   (CONN: a connection's name in the trace, c3)")
		return
	}
	switch a := args[0]; a {
	case "on":
		lualib.SetTracing(r.h, "text", r.stderr, false, nil)
	case "off":
		lualib.SetTracing(r.h, "", nil, false, nil)
	case "hex", "json":
		lualib.SetTracing(r.h, lualib.TraceFormat(a), r.stderr, false, nil)
	default:
		s := r.h.Trace().Socket(a)
		if s == nil {
			fmt.Fprintf(r.stderr, "no connection %s in the trace (names appear once a socket is traced: :trace on)\n", a)
			return
		}
		lualib.SetTracing(r.h, "text", r.stderr, false, func(x *netio.Socket) bool { return x == s })
		fmt.Fprintf(r.stdout, "trace %s\n", a)
		return
	}
	fmt.Fprintf(r.stdout, "trace %s\n", args[0])
}

// syntaxMessage renders a compile or load error on one line, as every
// entry point does: file:line: message (stdin:1: syntax error near ')').
func syntaxMessage(err error) string {
	var aerr *lua.ApiError
	if errors.As(err, &aerr) && aerr.Cause != nil {
		err = aerr.Cause
	}
	return strings.TrimSpace(err.Error())
}
