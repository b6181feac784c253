package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/repl"
	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/netio"
	"netplay/scripts"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit statuses (SPEC.md).
const (
	exitOK          = 0
	exitError       = 1 // the script raised an error
	exitUsage       = 2 // unknown command or flag, no such script
	exitInterrupted = 130
)

// shutdownGrace bounds how long tasks get to stop after a signal.
const shutdownGrace = 2 * time.Second

// Stdio are the program's streams, and hooks tests use.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
	// OnListen, if set, hears every address a script starts listening on.
	OnListen func(net.Addr)
}

const usageHead = `netplay: a scriptable network playground (Lua with sockets, framing, timers)

usage:
  netplay                          REPL
  netplay run FILE [ARGS...]       run a script file or a bundled script (see list)
  netplay FILE [ARGS...]           the same
  netplay -e CODE [-e CODE...]     run chunks of Lua, in order
  netplay -i FILE [ARGS...]        run FILE, then a REPL over the same state
  netplay --trace[=hex|json] ...   also print every event on the wire to stderr
  netplay --trace-file FILE ...    ... to FILE instead (--trace-time=rel: seconds since the start)
  netplay --record FILE ...        save the session, every byte (JSON Lines; netplay replay, view)
  netplay --view ...               watch the wire live in a browser (a page on 127.0.0.1)
  netplay --max-alloc BYTES ...    bound one allocation of a script (default 1 GiB)
  netplay --max-buffered BYTES ... bound the input all sockets buffer (default 256 MiB)
  netplay --shape SPEC ...         shape every socket's writes ('split=3,delay=0.01')
  netplay list                     the bundled scripts
  netplay help [COMMAND] | version
`

const usageTail = `
Start with the guided tour:  netplay run tour
`

// runUsage is what netplay run --help and netplay help run print.
const runUsage = `usage: netplay run FILE [ARGS...]
       netplay FILE [ARGS...]

Runs the Lua script FILE: a file, or a bundled script by name from any
folder (netplay list shows them; a real file of the same name wins, so
netplay show part1/server > server.lua gives a copy to change). The
script sees arg[0] = FILE and arg[1..] = ARGS, and ARGS as ... (as lua).

The tutorial's scripts take [host:]port as their first argument (default
127.0.0.1:1234):   netplay run part1/server 5000

run returns when the main chunk and every task it spawned have finished.
Exit status: 0 done; 1 a script error (the message and a traceback on
stderr); 2 no such script, or a usage error. Ctrl-C or SIGTERM closes
every socket, stops every task and exits 130.

Before run:  --trace (every send and receive on stderr), --max-alloc BYTES.
`

// subcommand is a command with a file (or package) of its own:
// `netplay NAME ARGS...` calls run with ARGS. Each registers itself from
// an init function in its own file, so adding one never touches this file.
type subcommand struct {
	usage string // the usage line, shown by netplay help: "test [PATH...]"
	what  string // what it does, one line
	run   func(ctx context.Context, args []string, stdio Stdio) int
}

// subcommands are the registered commands, by name.
var subcommands = map[string]subcommand{}

// usage is the text netplay help prints.
func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	names := make([]string, 0, len(subcommands))
	for name := range subcommands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := subcommands[name]
		fmt.Fprintf(&b, "  %-32s %s\n", "netplay "+c.usage, c.what)
	}
	b.WriteString(usageTail)
	return b.String()
}

// Main runs netplay with args (without the program name) and returns the
// exit status. Cancelling ctx (SIGINT, SIGTERM) closes every socket, stops
// every task and returns 130.
func Main(ctx context.Context, args []string, io Stdio) int {
	inv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(io.Err, "netplay: %v\nrun 'netplay help' for usage\n", err)
		return exitUsage
	}
	applyMemoryLimit(inv.maxBuffered)
	switch inv.command {
	case "help":
		return help(inv.target, io)
	case "version":
		fmt.Fprintf(io.Out, "netplay %s\n", version)
		return exitOK
	case "list":
		return list(io.Out)
	case "repl", "interactive":
		return startREPL(ctx, inv, io)
	case "subcommand":
		return subcommands[inv.target].run(ctx, inv.args, io)
	}
	return runScript(ctx, inv, io)
}

// invocation is a parsed command line.
type invocation struct {
	command string   // run, eval, help, version, list, repl, interactive (-i), subcommand
	target  string   // the script (run), the subcommand's name, the command help is about
	chunks  []string // the code of each -e (eval), in order
	args    []string // the script's arguments
	trace   traceFlags

	maxAlloc    int              // --max-alloc: host.Options.MaxAlloc, 0 for the default
	maxBuffered int64            // --max-buffered: host.Options.MaxBuffered, 0 for the default
	shape       *netio.ShapeSpec // --shape: every socket of the run
}

// title says what runs, for the live trace page: "netplay run
// part1/server", "netplay -e".
func (inv invocation) title() string {
	switch inv.command {
	case "run":
		return "netplay run " + inv.target
	case "eval":
		return "netplay -e"
	}
	return "netplay"
}

// hostOptions are the options of the host a script or a session runs on,
// printing to out and err.
func (inv invocation) hostOptions(stdio Stdio, out, err io.Writer) host.Options {
	return host.Options{
		Stdin: stdio.In, Stdout: out, Stderr: err,
		OpenScript: scripts.Open, OnListen: stdio.OnListen,
		MaxAlloc: inv.maxAlloc, MaxBuffered: inv.maxBuffered,
		Shape: inv.shape,
	}
}

func parseArgs(args []string) (invocation, error) {
	var inv invocation
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch flag := args[0]; flag {
		case "--trace", "--trace=text", "--trace=hex", "--trace=json", "--trace-time=rel", "--trace-time=wall", "--view":
			inv.trace.set(flag)
			args = args[1:]
		case "--trace-file", "--record":
			if len(args) < 2 {
				return inv, fmt.Errorf("%s needs a file", flag)
			}
			inv.trace.setFile(flag, args[1])
			args = args[2:]
		case "--max-alloc", "--max-buffered":
			n := 0
			if len(args) > 1 {
				n, _ = strconv.Atoi(args[1])
			}
			if n < 1 {
				return inv, fmt.Errorf("%s needs a number of bytes", flag)
			}
			if flag == "--max-alloc" {
				inv.maxAlloc = n
			} else {
				inv.maxBuffered = int64(n)
			}
			args = args[2:]
		case "--shape":
			if len(args) < 2 {
				return inv, errors.New("--shape needs a spec: --shape 'split=3,delay=0.01'")
			}
			spec, err := netio.ParseShape(args[1])
			if err != nil {
				return inv, fmt.Errorf("--shape: %v", err)
			}
			inv.shape = &spec
			args = args[2:]
		case "-e":
			if len(args) < 2 {
				return inv, errors.New("-e needs a chunk of Lua code")
			}
			inv.command, inv.chunks = "eval", append(inv.chunks, args[1])
			args = args[2:]
			if len(args) == 0 || args[0] != "-e" {
				inv.args = args
				return inv, nil
			}
		case "-i":
			if len(args) < 2 {
				return inv, errors.New("-i needs a script: netplay -i FILE [ARGS...]")
			}
			inv.command, inv.target, inv.args = "interactive", args[1], args[2:]
			return inv, nil
		case "-h", "--help":
			inv.command = "help"
			return inv, nil
		case "--version":
			inv.command = "version"
			return inv, nil
		default:
			return inv, fmt.Errorf("unknown flag %s", flag)
		}
	}
	if len(args) == 0 {
		inv.command = "repl"
		return inv, nil
	}
	switch args[0] {
	case "help":
		inv.command = "help"
		if len(args) > 1 {
			inv.target = args[1]
		}
		return inv, nil
	case "version", "list":
		inv.command = args[0]
		return inv, nil
	case "run":
		if len(args) < 2 {
			return inv, errors.New("run needs a script: netplay run FILE [ARGS...] (netplay help run)")
		}
		if args[1] == "-h" || args[1] == "--help" {
			inv.command, inv.target = "help", "run"
			return inv, nil
		}
		args = args[1:]
	default:
		if _, ok := subcommands[args[0]]; ok {
			inv.command, inv.target, inv.args = "subcommand", args[0], args[1:]
			return inv, nil
		}
	}
	inv.command, inv.target, inv.args = "run", args[0], args[1:]
	return inv, nil
}

// help implements netplay help [COMMAND]: the usage, or what one command
// does (netplay help run; a subcommand's own --help).
func help(command string, stdio Stdio) int {
	switch command {
	case "":
		fmt.Fprint(stdio.Out, usage())
		return exitOK
	case "run":
		fmt.Fprint(stdio.Out, runUsage)
		return exitOK
	}
	if c, ok := subcommands[command]; ok {
		return c.run(context.Background(), []string{"--help"}, stdio)
	}
	fmt.Fprintf(stdio.Err, "netplay: no help on %q: run 'netplay help' for the commands\n", command)
	return exitUsage
}

// list prints the bundled scripts by part, in the order the series
// walks them, one line each with what it shows.
func list(out io.Writer) int {
	groups := scripts.Groups()
	width := 0
	for _, g := range groups {
		for _, e := range g.Entries {
			width = max(width, len(e.Name))
		}
	}
	w := bufio.NewWriter(out)
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, g.Title)
		for _, e := range g.Entries {
			fmt.Fprintf(w, "  %-*s  %s\n", width, e.Name, e.Summary)
		}
	}
	w.Flush()
	return exitOK
}

// runScript runs a file, a bundled script or a chunk until every task it
// started has finished.
func runScript(ctx context.Context, inv invocation, stdio Stdio) int {
	h, err := lualib.NewHost(inv.hostOptions(stdio, stdio.Out, stdio.Err))
	if err != nil {
		fmt.Fprintf(stdio.Err, "netplay: %v\n", err)
		return exitError
	}
	stop, err := inv.trace.start(h, stdio.Err, inv.title())
	if err != nil {
		h.Close()
		fmt.Fprintf(stdio.Err, "netplay: %v\n", err)
		return exitUsage
	}
	defer func() {
		h.Close() // the trace sees the sockets close
		stop()
	}()
	fn, chunkName, status := load(h, inv, stdio.Err)
	if fn == nil {
		return status
	}
	args := lualib.SetArg(h.L, chunkName, inv.args)
	main := h.Spawn(fn, args, host.SpawnOptions{Name: "main", ErrorPrefix: "netplay"})
	return wait(ctx, h, main, stdio.Err)
}

// load compiles the script or chunk; on failure it reports and returns a
// nil function with the exit status.
func load(h *host.Host, inv invocation, stderr io.Writer) (*lua.LFunction, string, int) {
	if inv.command == "eval" {
		fn, err := loadChunks(h.L, inv.chunks)
		if err != nil {
			fmt.Fprintf(stderr, "netplay: %v\n", err)
			return nil, "", exitError
		}
		return fn, "-e", 0
	}
	chunk, src, err := scripts.Open(inv.target)
	if err != nil {
		status := exitError
		if errors.Is(err, scripts.ErrNotFound) {
			status = exitUsage
		}
		fmt.Fprintf(stderr, "netplay: %v\n", err)
		return nil, "", status
	}
	fn, err := h.L.Load(strings.NewReader(string(src)), chunk)
	if err != nil {
		fmt.Fprintf(stderr, "netplay: %v\n", err)
		return nil, "", exitError
	}
	return fn, inv.target, 0
}

// loadChunks compiles each -e chunk and returns one function that runs
// them in order, each with the script's arguments, as lua -e A -e B does.
// Nothing runs when one does not compile.
func loadChunks(L *lua.LState, chunks []string) (*lua.LFunction, error) {
	fns := make([]*lua.LFunction, len(chunks))
	for i, code := range chunks {
		fn, err := L.LoadString(code)
		if err != nil {
			return nil, err
		}
		fns[i] = fn
	}
	if len(fns) == 1 {
		return fns[0], nil
	}
	return L.NewFunction(func(L *lua.LState) int {
		args := make([]lua.LValue, L.GetTop())
		for i := range args {
			args[i] = L.Get(i + 1)
		}
		for _, fn := range fns {
			L.Push(fn)
			for _, a := range args {
				L.Push(a)
			}
			L.Call(len(args), 0)
		}
		return 0
	}), nil
}

// wait returns when every task has finished (0, or 1 if any failed), when
// the main chunk fails (1, after stopping the rest) or when ctx is done
// (130, after closing everything).
func wait(ctx context.Context, h *host.Host, main *host.Task, stderr io.Writer) int {
	allDone := make(chan struct{})
	go func() {
		h.Wait(context.Background())
		close(allDone)
	}()
	mainDone := main.Done()
	for {
		select {
		case <-mainDone:
			mainDone = nil
			if _, err := main.Result(); err != nil {
				if main.Cancelled() {
					fmt.Fprintln(stderr, "netplay: cancelled")
				}
				h.Shutdown(shutdownGrace)
				return exitError
			}
		case code := <-h.Exits():
			h.Shutdown(shutdownGrace)
			return code
		case <-allDone:
			if h.Failed() {
				return exitError
			}
			return exitOK
		case <-ctx.Done():
			h.Shutdown(shutdownGrace)
			return exitInterrupted
		}
	}
}

// startREPL runs the REPL (netplay, or netplay -i FILE [ARGS...]: FILE
// runs first, as the REPL's first entry, and its tasks keep running).
// The line editor is used when stdin is a terminal, whatever stdout is.
func startREPL(ctx context.Context, inv invocation, stdio Stdio) int {
	var startup []string
	if inv.command == "interactive" {
		if _, _, err := scripts.Open(inv.target); err != nil {
			fmt.Fprintf(stdio.Err, "netplay: %v\n", err)
			if errors.Is(err, scripts.ErrNotFound) {
				return exitUsage
			}
			return exitError
		}
		startup = append([]string{inv.target}, inv.args...)
	}
	terminal := repl.IsTerminal(stdio.In)
	history := ""
	if terminal {
		history = repl.DefaultHistoryFile()
	}
	r := repl.New(repl.Config{In: stdio.In, Out: stdio.Out, Err: stdio.Err, Terminal: terminal, HistoryFile: history, Startup: startup})
	h, err := lualib.NewHost(inv.hostOptions(stdio, r.Stdout(), r.Stderr()))
	if err != nil {
		fmt.Fprintf(stdio.Err, "netplay: %v\n", err)
		return exitError
	}
	stopTrace, err := inv.trace.start(h, r.Stderr(), "netplay REPL")
	if err != nil {
		h.Close()
		fmt.Fprintf(stdio.Err, "netplay: %v\n", err)
		return exitUsage
	}
	defer func() {
		h.Close() // the trace sees the sockets close
		stopTrace()
	}()
	ctx, stop := replContext(ctx, terminal)
	defer stop()
	return r.Run(ctx, h)
}

// replContext is the context that ends a REPL session. At a terminal
// Ctrl-C belongs to the REPL (it cancels the entry running, not the
// session), so only SIGTERM and SIGHUP end it there; on a pipe, ctx as it
// is (SIGINT and SIGTERM: exit status 130).
func replContext(ctx context.Context, terminal bool) (context.Context, context.CancelFunc) {
	if !terminal {
		return ctx, func() {}
	}
	return signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM, syscall.SIGHUP)
}

// parseInterspersed parses fs's flags wherever they stand among args (the
// flag package stops at the first argument that is not one) and returns
// the other arguments, in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// subcommandUsageError reports a usage error of netplay NAME on stderr,
// with where to find its usage; exit status 2.
func subcommandUsageError(stdio Stdio, name string, err error) int {
	fmt.Fprintf(stdio.Err, "netplay %s: %v\nrun 'netplay %s --help' for usage\n", name, err, name)
	return exitUsage
}
