package repl

// :attach CONN [crlf|raw]: the terminal talks to a live connection, as
// ncat or pwntools' interactive() do. Each line typed is sent (with "\n",
// or "\r\n" with crlf; on a framed socket a line is one message); with
// raw, keys are sent as they are typed. What arrives is printed as it
// comes, escaped where it is not printable text, and background output
// still goes above the line being typed. Ctrl-] (or Ctrl-C, or Ctrl-D on
// an empty line) returns to the prompt; the connection stays open.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
)

// errDetach: Ctrl-] was typed while attached.
var errDetach = errors.New("detach")

// detachLine is what a piped session writes to leave :attach (Ctrl-]).
const detachLine = "\x1d"

// attachReaderSrc receives from the connection and hands what comes to
// show, until the connection ends.
const attachReaderSrc = `local get, framed, show = ...
local conn = get()
while true do
  local data, err
  if framed then data, err = conn:recv() else data, err = conn:recv(4096) end
  if data == nil then return show(nil, err) end
  if data == "" and not framed then return show(nil, "closed") end
  show(data)
end`

// attachSenderSrc sends one line or one chunk of keys.
const attachSenderSrc = `local get, framed, data = ...
local conn = get()
local ok, err
if framed then ok, err = conn:send(data) else ok, err = conn:sendall(data) end
if not ok then error(err, 0) end`

// attachment is one :attach: the connection and how to talk to it.
type attachment struct {
	conn lua.LValue
	// get returns conn: the helper tasks are given it, not conn (a socket
	// given to a task as an argument becomes that task's, and a helper
	// that failed would close it).
	get    *lua.LFunction
	name   string // as it prints
	framed bool
	eol    string // appended to each line sent; "" in raw mode
	raw    bool
}

// attach implements :attach CONN [crlf|raw].
func (r *REPL) attach(ctx context.Context, args []string) (status int, leave bool) {
	a, err := r.attachment(args)
	if err != nil {
		fmt.Fprintln(r.stderr, err)
		return exitOK, false
	}
	how := "each line you type is sent"
	if a.raw {
		how = "each key you type is sent"
	}
	if t, ok := r.input.(*termReader); ok {
		// The line editor's mode for the whole attach, from before the
		// message on: keys typed meanwhile wait, unechoed, to be read.
		t.apply(t.editing)
		defer t.apply(t.cooked)
	}
	fmt.Fprintf(r.stderr, "attached to %s: %s, what arrives is printed; Ctrl-] returns to the prompt\n", a.name, how)
	r.h.Lock()
	show := r.h.L.NewFunction(r.showArrived(a))
	r.h.Unlock()
	reader := r.spawnAttached(attachReaderSrc, []lua.LValue{a.get, lua.LBool(a.framed), show})
	if a.raw {
		err = r.attachKeys(ctx, a)
	} else {
		err = r.attachLines(ctx, a)
	}
	reader.Cancel()
	<-reader.Done()
	var exit exitRequest
	switch {
	case errors.As(err, &exit):
		return int(exit), true
	case ctx.Err() != nil:
		return exitInterrupted, true
	}
	r.h.Lock()
	now := describe(r.h.L, a.conn) // the connection as it is now: still open
	r.h.Unlock()
	fmt.Fprintf(r.stderr, "detached from %s\n", now)
	return exitOK, false
}

// attachment reads :attach's arguments: a socket or framed socket by its
// name (c, srv.conn), and crlf or raw.
func (r *REPL) attachment(args []string) (attachment, error) {
	if len(args) < 1 || len(args) > 2 {
		return attachment{}, errors.New("usage: :attach CONN [crlf|raw]   (CONN a socket or framed socket: :attach c)")
	}
	a := attachment{eol: "\n"}
	if len(args) == 2 {
		switch args[1] {
		case "crlf":
			a.eol = "\r\n"
		case "raw":
			a.eol, a.raw = "", true
		default:
			return attachment{}, fmt.Errorf("attach: %q is not crlf or raw", args[1])
		}
	}
	r.h.Lock()
	defer r.h.Unlock()
	L := r.h.L
	v, ok := lookupPath(L, args[0])
	if !ok {
		return attachment{}, fmt.Errorf("attach: no value %s", args[0])
	}
	switch receiverOf(L, v) {
	case "s":
	case "f":
		a.framed = true
		if a.raw {
			return attachment{}, errors.New("attach: a framed socket takes whole messages: attach it without raw")
		}
	default:
		return attachment{}, fmt.Errorf("attach: %s is %s, not a socket", args[0], describe(L, v))
	}
	a.conn, a.name = v, describe(L, v)
	a.get = L.NewFunction(func(L *lua.LState) int {
		L.Push(v)
		return 1
	})
	return a, nil
}

// spawnAttached starts src (compiled as a chunk) with args as a task that
// borrows the connection (it gets it from a.get, not as an argument):
// cancelling it, or its failing, leaves the connection open and with its
// owner.
func (r *REPL) spawnAttached(src string, args []lua.LValue) *host.Task {
	r.h.Lock()
	fn, err := r.h.L.Load(strings.NewReader(src), "attach")
	r.h.Unlock()
	if err != nil {
		panic(err) // the source is a constant
	}
	return r.h.Spawn(fn, args, host.SpawnOptions{Name: "attach", Quiet: true, Borrow: true})
}

// showArrived is the reader's show(data) / show(nil, err): what arrives,
// printed as text (line ends as "\n", the rest escaped where a terminal
// would act on it; a framed message on a line of its own), or how the
// connection ended.
func (r *REPL) showArrived(a attachment) lua.LGFunction {
	return func(L *lua.LState) int {
		if L.Get(1) == lua.LNil {
			fmt.Fprintf(r.stderr, "(%s: %s; Ctrl-] returns to the prompt)\n", a.name, L.Get(2).String())
			return 0
		}
		text := strings.ReplaceAll(L.CheckString(1), "\r\n", "\n")
		if a.framed {
			text += "\n"
		}
		io.WriteString(r.stdout, host.EscapeText(text))
		return 0
	}
}

// send sends data on the connection as a task of its own (a send can
// wait), and reports a failure.
func (r *REPL) send(ctx context.Context, a attachment, data string) error {
	t := r.spawnAttached(attachSenderSrc, []lua.LValue{a.get, lua.LBool(a.framed), lua.LString(data)})
	intr, stop := r.interrupts()
	defer stop()
	select {
	case <-t.Done():
	case <-intr:
		t.Cancel()
		<-t.Done()
		return errDetach
	case <-ctx.Done():
		t.Cancel()
		<-t.Done()
		return ctx.Err()
	}
	if _, err := t.Result(); err != nil {
		msg := attachPosition.ReplaceAllString(host.ErrorValue(err).String(), "")
		fmt.Fprintf(r.stderr, "(not sent: %s)\n", host.EscapeText(msg))
	}
	return nil
}

// attachPosition is where in the sender's own code a misuse was raised:
// not the user's business.
var attachPosition = regexp.MustCompile(`^attach:\d+: `)

// attachLines reads lines and sends each, until Ctrl-] (a line of just
// Ctrl-] on a pipe), Ctrl-C, or the end of the input.
func (r *REPL) attachLines(ctx context.Context, a attachment) error {
	for {
		line, err := r.readAttachedLine(ctx)
		switch {
		case errors.Is(err, errDetach), errors.Is(err, errPromptInterrupted), errors.Is(err, io.EOF), line == detachLine:
			return nil // what was typed on the line is dropped
		case err != nil:
			return err
		}
		r.input.addHistory(line)
		err = r.send(ctx, a, line+a.eol)
		if errors.Is(err, errDetach) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readAttachedLine reads a line to send: at a terminal with no prompt and
// Ctrl-] ending it, on a pipe the next line.
func (r *REPL) readAttachedLine(ctx context.Context) (string, error) {
	if t, ok := r.input.(*termReader); ok {
		return r.readWith(ctx, t.readAttached)
	}
	return r.readLine(ctx, "")
}

// attachKeys sends keys as they come, until Ctrl-] or Ctrl-C. At a
// terminal, attach has put it in the line editor's mode (no echo, no line
// editing by the terminal; Ctrl-C is still a signal).
func (r *REPL) attachKeys(ctx context.Context, a attachment) error {
	keys, cancel := context.WithCancel(ctx)
	defer cancel()
	intr, stop := r.interrupts()
	defer stop()
	go func() {
		select {
		case <-intr:
			cancel()
		case <-keys.Done():
		}
	}()
	for {
		key, err := r.h.Stdin().ReadN(keys, 1)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case keys.Err() != nil, errors.Is(err, io.EOF), key == detachLine:
			return nil // Ctrl-C, the end of the input, Ctrl-]
		case err != nil:
			return err
		}
		if err := r.send(ctx, a, key); err != nil {
			return err
		}
	}
}
