// Package repl is netplay's interactive prompt: a Lua session over a
// running host, where servers started from the prompt keep serving while
// the user types.
//
// On a terminal it reads with liner (github.com/peterh/liner): a "> "
// prompt, ">> " to continue an unfinished chunk, history, Tab completion,
// Ctrl-C to cancel the running entry. On a pipe it reads plain lines with
// no prompt and no escape codes, so a session can be driven by a program
// and its output diffed.
//
// Each entry runs as a foreground task of the host. The REPL never holds
// the interpreter lock while it waits for input, so the tasks an entry
// spawned keep accepting, reading and ticking; what they print goes above
// the prompt, and the line being typed is drawn again below it.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/traceview"
)

// Exit statuses of a session (the CLI's).
const (
	exitOK          = 0
	exitInterrupted = 130 // ctx was cancelled: SIGTERM, or SIGINT on a pipe
)

// shutdownGrace bounds how long tasks get to stop when the session ends.
const shutdownGrace = 2 * time.Second

// Prompts, as in lua.c.
const (
	promptFirst    = "> "
	promptContinue = ">> "
)

// banner greets the user at a terminal (never on a pipe).
const banner = "netplay REPL: type Lua. :help for help, :help tutorial to start, Ctrl-D to leave.\n"

// leaveHint answers Ctrl-C at an empty prompt, and bare exit or quit.
const leaveHint = "(to leave, press Ctrl-D or type exit() or :quit)"

// Config says where a session reads and writes.
type Config struct {
	In       io.Reader
	Out, Err io.Writer
	// Terminal: read with liner from the process's terminal (liner reads
	// os.Stdin; In is not read then), drawing the prompt on Out when it is
	// a terminal, else on Err, else on /dev/tty (see IsTerminal).
	// Otherwise In is read line by line, with no prompt and no escape
	// codes.
	Terminal bool
	// HistoryFile keeps the history between sessions (terminal only); ""
	// keeps none. DefaultHistoryFile is ~/.netplay_history.
	HistoryFile string
	// Echo writes each line read from a pipe to Out after its prompt, so a
	// transcript reads like a terminal session (tests use it).
	Echo bool
	// Startup, if set, is a script and its arguments run with :load before
	// the first prompt (netplay -i FILE ARGS...).
	Startup []string
	// Interrupts, if set, replaces SIGINT as the signal that cancels the
	// running entry (tests use it). SIGINT is only listened to on a
	// terminal.
	Interrupts <-chan os.Signal
}

// REPL is one interactive session.
type REPL struct {
	cfg            Config
	screen         *screen
	stdout, stderr io.Writer
	h              *host.Host
	input          lineReader
	body           *lua.LFunction  // entryBody, the foreground task's function
	exits          chan int        // os.exit(n) was called
	entries        []*host.Task    // finished entries that left sockets open
	live           *traceview.Live // :view's page, while it is open
	tutorial       tutorialWalk    // where :help tutorial is
}

// New returns a session for cfg. Give the host it will run over the
// writers Stdout and Stderr, so that what tasks print does not garble the
// line being edited.
func New(cfg Config) *REPL {
	scr := newScreen()
	return &REPL{
		cfg:    cfg,
		screen: scr,
		stdout: scr.writer(cfg.Out, cfg.Terminal && isTerminalWriter(cfg.Out)),
		stderr: scr.writer(cfg.Err, cfg.Terminal && isTerminalWriter(cfg.Err)),
		exits:  make(chan int, 1),
	}
}

// Run runs a session over h with cfg (see REPL.Run).
func Run(ctx context.Context, h *host.Host, cfg Config) int {
	return New(cfg).Run(ctx, h)
}

// Stdout is where the host's print should write.
func (r *REPL) Stdout() io.Writer { return r.stdout }

// Stderr is where the host's task errors and trace should write.
func (r *REPL) Stderr() io.Writer { return r.stderr }

// Run reads and runs entries until the input ends (Ctrl-D), :quit, or
// os.exit(n), and returns the exit status: 0, n, or 130 when ctx was
// cancelled. When it returns the host has been shut down: every socket is
// closed and every task stopped (the caller still closes h).
func (r *REPL) Run(ctx context.Context, h *host.Host) int {
	r.h = h
	r.install()
	inputCtx, stopInput := context.WithCancel(ctx)
	defer stopInput()
	r.input = r.openInput(inputCtx)
	status := r.session(ctx)
	stopInput()
	r.input.close()
	h.Shutdown(shutdownGrace)
	r.closeView()
	return status
}

// install makes the foreground task's function and points os.exit at the
// session.
func (r *REPL) install() {
	r.h.Lock()
	defer r.h.Unlock()
	L := r.h.L
	r.body = L.NewFunction(entryBody)
	if osmod, ok := L.GetGlobal("os").(*lua.LTable); ok {
		osmod.RawSetString("exit", L.NewFunction(r.osExit))
	}
	r.installComforts(L)
}

// openInput returns the line reader: liner on a terminal, plain lines
// otherwise.
func (r *REPL) openInput(ctx context.Context) lineReader {
	if r.cfg.Terminal {
		if tty, opened := terminalOutput(r.cfg.Out, r.cfg.Err); tty != nil {
			io.WriteString(tty, banner)
			return newTermReader(r.screen, tty, opened, newHistory(r.cfg.HistoryFile), r.complete)
		}
		r.cfg.Terminal = false // no terminal to draw on: plain lines
	}
	var echo io.Writer
	if r.cfg.Echo {
		echo = r.stdout
	}
	return newPipeReader(ctx, r.h.Stdin(), echo)
}

// session is the read-eval-print loop.
func (r *REPL) session(ctx context.Context) int {
	if len(r.cfg.Startup) > 0 {
		if status, leave := r.load(ctx, r.cfg.Startup, startupHint(r.cfg.Startup[0])); leave {
			return status
		}
	}
	for {
		r.settle(ctx)
		e, err := r.readEntry(ctx)
		var exit exitRequest
		switch {
		case errors.Is(err, io.EOF):
			if t, ok := r.input.(*termReader); ok {
				fmt.Fprintln(t.tty) // Ctrl-D: end the prompt's line
			}
			return exitOK
		case errors.As(err, &exit):
			return int(exit)
		case ctx.Err() != nil:
			return exitInterrupted
		case errors.Is(err, errPromptInterrupted):
			if !r.stopBusyTask() {
				fmt.Fprintln(r.stderr, leaveHint)
			}
			continue
		case err != nil:
			fmt.Fprintf(r.stderr, "netplay: reading input: %v\n", err)
			return exitOK
		}
		if status, leave := r.do(ctx, e); leave {
			return status
		}
	}
}

// startupHint is what netplay -i FILE says when FILE does not return: it
// runs in the foreground, keeping the prompt away.
func startupHint(file string) string {
	return fmt.Sprintf("(%s runs in the foreground and keeps the prompt away: Ctrl-C stops it and gives the prompt;\n"+
		" to keep it running while you type, start it as a task: spawn(run, %q))", file, file)
}

// settleTime bounds how long the REPL waits, before it reads the next
// line, for the tasks to settle: a task that never waits, or one that
// yields forever, must not keep the prompt away.
const settleTime = time.Second

// settle waits until every task that can run has reached a wait (what a
// server prints when an entry connects to it comes before the next
// prompt, the same on every run), for at most settleTime.
func (r *REPL) settle(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, settleTime)
	defer cancel()
	r.h.WaitQuiet(ctx)
}

// stopBusyTask cancels the task that holds the interpreter if it has kept
// it for a while without waiting (Ctrl-C at the prompt then stops it, as
// the busy-task warning says); it reports whether there was one.
func (r *REPL) stopBusyTask() bool {
	t := r.h.BusyTask()
	if t == nil {
		return false
	}
	t.Cancel()
	fmt.Fprintf(r.stderr, "%s cancelled\n", t)
	return true
}

// entry is what the user entered: a command, or compiled Lua (fn), or
// nothing (a blank line, a syntax error already reported).
type entry struct {
	command string
	fn      *lua.LFunction
}

// do runs an entry. leave says the session ends, with status.
func (r *REPL) do(ctx context.Context, e entry) (status int, leave bool) {
	switch {
	case e.command != "":
		return r.command(ctx, e.command)
	case e.fn != nil:
		return r.foreground(ctx, e.fn, nil, "")
	}
	return exitOK, false
}

// readEntry reads lines until they make a whole entry: a command (a line
// starting with ":"), or a chunk of Lua that compiles. A syntax error is
// reported and gives an empty entry; Ctrl-C on a continuation line drops
// the unfinished chunk.
func (r *REPL) readEntry(ctx context.Context) (entry, error) {
	var lines []string
	for {
		prompt := promptFirst
		if len(lines) > 0 {
			prompt = promptContinue
		}
		line, err := r.readLine(ctx, prompt)
		if err != nil {
			if errors.Is(err, errPromptInterrupted) && (len(lines) > 0 || line != "") {
				return entry{}, nil // Ctrl-C drops what was typed, quietly
			}
			if len(lines) > 0 && errors.Is(err, io.EOF) {
				r.reportUnfinished(lines)
			}
			return entry{}, err
		}
		if len(lines) == 0 && strings.TrimSpace(line) == "" {
			return entry{}, nil
		}
		r.input.addHistory(line)
		if len(lines) == 0 && isCommand(line) {
			return entry{command: line}, nil
		}
		lines = append(lines, line)
		fn, err := r.compile(strings.Join(lines, "\n"))
		switch {
		case errors.Is(err, errIncomplete):
			continue
		case err != nil:
			fmt.Fprintln(r.stderr, syntaxMessage(err))
			return entry{}, nil
		}
		return entry{fn: fn}, nil
	}
}

// reportUnfinished says what an entry the input ended in the middle of
// lacks, as a file that ends there would: stdin:2: 'end' expected (to
// close 'function' at line 1) near <eof>.
func (r *REPL) reportUnfinished(lines []string) {
	r.h.Lock()
	_, err := r.h.L.Load(strings.NewReader(strings.Join(lines, "\n")), chunkName)
	r.h.Unlock()
	if err != nil {
		fmt.Fprintln(r.stderr, syntaxMessage(err))
	}
}

// isCommand: a REPL command starts with ":" (Lua's labels start with "::").
func isCommand(line string) bool {
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, ":") && !strings.HasPrefix(line, "::")
}

// compile compiles an entry with the interpreter lock held.
func (r *REPL) compile(src string) (*lua.LFunction, error) {
	r.h.Lock()
	defer r.h.Unlock()
	return compileEntry(r.h.L, src)
}

// exitRequest is os.exit(n) called by some task: the session ends with n.
type exitRequest int

func (e exitRequest) Error() string { return fmt.Sprintf("os.exit(%d)", int(e)) }

// readLine reads a line without blocking the session's reaction to ctx
// and to os.exit: the read runs in its own goroutine (a read from a
// terminal or a pipe cannot be interrupted; if the session ends first, the
// goroutine ends with the input).
func (r *REPL) readLine(ctx context.Context, prompt string) (string, error) {
	return r.readWith(ctx, func() (string, error) { return r.input.readLine(prompt) })
}

// readWith runs read (a line from the input) in its own goroutine and
// returns its line, unless ctx ends or a task calls os.exit first.
func (r *REPL) readWith(ctx context.Context, read func() (string, error)) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := read()
		done <- result{line, err}
	}()
	select {
	case res := <-done:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	case code := <-r.exits:
		return "", exitRequest(code)
	}
}

// osExit implements os.exit([code]) in a session: the session ends with
// code (true: 0, false: 1), closing every socket, and the calling task
// waits for that. Exiting the process at once would leave the terminal in
// the line editor's mode.
func (r *REPL) osExit(L *lua.LState) int {
	code := exitOK
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if !v {
			code = 1
		}
	case lua.LNumber:
		code = int(v)
	}
	select {
	case r.exits <- code:
	default:
	}
	r.h.Block(L, "exit", func(ctx context.Context) { <-ctx.Done() })
	return 0
}
