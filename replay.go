package main

// netplay replay: play one side of a recording back against a live
// program and report the first difference (the engine is runtime/replay).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"netplay/runtime/lualib"
	"netplay/runtime/netio"
	"netplay/runtime/replay"
)

func init() {
	subcommands["replay"] = subcommand{
		usage: "replay FILE --as SIDE",
		what:  "play a recording back as server or client [ADDR], report the first difference",
		run:   replayMain,
	}
}

const replayUsage = `usage: netplay replay FILE --as server|client [ADDR] [--timeout TIME] [--speed X]

Plays one side of a recording (netplay --record FILE ...) back against a
live program on loopback, and checks that the live program sends what the
recording says, byte for byte.

  --as server   netplay listens on ADDR (default: 127.0.0.1 and the port
                the recorded client connected to) and plays the server of
                every client-side connection of the recording: what the
                recorded client received is sent (one write per recorded
                chunk), what it sent is expected from the live client.
  --as client   netplay connects to ADDR (required) and plays the client
                of every server-side connection the same way.
  --timeout T   the longest wait for the live program: a connection, the
                next bytes, the end of its stream (default 10s; 500ms, 2)
  --speed X     keep the recorded time between netplay's writes, divided
                by X (1: as recorded); default 0: no waiting

The first difference ends the replay with a report: the connection, the
offset in its stream, the recorded event, and the expected and received
bytes as a hex dump. Exit status 0 when everything matched, 1 on a
difference, 2 on a usage error or a recording that cannot be read.
Only loopback and private addresses (127/8, ::1, localhost, 10/8,
172.16/12, 192.168/16, fc00::/7).
`

// replayFlags are the command line of netplay replay.
type replayFlags struct {
	file    string
	side    replay.Side
	addr    string
	timeout time.Duration
	speed   float64
}

func parseReplayArgs(args []string) (*replayFlags, error) {
	f := &replayFlags{timeout: replay.DefaultTimeout}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	as := fs.String("as", "", "")
	fs.Var(durationFlag{&f.timeout}, "timeout", "")
	fs.Float64Var(&f.speed, "speed", 0, "")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	switch len(positional) {
	case 0:
		return nil, errors.New("which recording? netplay replay FILE --as server|client [ADDR]")
	case 1, 2:
		f.file = positional[0]
		if len(positional) == 2 {
			f.addr = positional[1]
		}
	default:
		return nil, fmt.Errorf("replay takes a file and an address, got %q", positional)
	}
	if *as == "" {
		return nil, errors.New("say which side netplay plays: --as server or --as client")
	}
	side, err := replay.ParseSide(*as)
	if err != nil {
		return nil, err
	}
	f.side = side
	if f.timeout <= 0 {
		return nil, errors.New("--timeout must be more than 0")
	}
	if f.speed < 0 || f.speed != f.speed {
		return nil, errors.New("--speed must be 0 (no waiting) or more")
	}
	if side == replay.Client && f.addr == "" {
		return nil, errors.New("--as client needs the address of the live server: netplay replay FILE --as client ADDR")
	}
	return f, nil
}

// replayMain implements netplay replay FILE --as server|client [ADDR].
func replayMain(ctx context.Context, args []string, stdio Stdio) int {
	usageError := func(err error) int { return subcommandUsageError(stdio, "replay", err) }
	f, err := parseReplayArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdio.Out, replayUsage)
		return exitOK
	}
	if err != nil {
		return usageError(err)
	}
	plan, err := replay.ReadPlan(f.file, f.side)
	if err != nil {
		fmt.Fprintf(stdio.Err, "netplay replay: %v\n", err)
		return exitUsage
	}
	addr := f.addr
	if addr == "" {
		if addr = plan.DefaultAddr(); addr == "" {
			return usageError(errors.New("the recording does not say which port its client connected to: give an address"))
		}
	}
	if addr, err = lualib.ParseAddress(addr); err != nil {
		return usageError(err)
	}
	if err := netio.CheckTestAddress(addr); errors.Is(err, netio.ErrRemote) {
		return usageError(fmt.Errorf("refusing %v: netplay replay plays on loopback and private test addresses", err))
	} else if err != nil {
		return usageError(err)
	}
	opts := replay.Options{
		Timeout: f.timeout,
		Speed:   f.speed,
		Done: func(c replay.ConnResult) {
			fmt.Fprintf(stdio.Out, "%s\n", connSummary(c, f.side))
		},
	}
	w := netio.GoWaiter{Ctx: ctx}
	conns := plural(int64(len(plan.Conns)), "connection")
	var res *replay.Result
	if f.side == replay.Server {
		ln, err := netio.Listen(netio.Real, addr)
		if err != nil {
			fmt.Fprintf(stdio.Err, "netplay replay: listen on %s: %s\n", addr, netio.Message(err))
			return exitUsage
		}
		fmt.Fprintf(stdio.Out, "netplay replay: listening on %s, the server of %s (%s)\n", ln.LocalAddr(), f.file, conns)
		if stdio.OnListen != nil {
			stdio.OnListen(ln.LocalAddr())
		}
		res = replay.Serve(w, ln, plan, opts)
	} else {
		fmt.Fprintf(stdio.Out, "netplay replay: connecting to %s, the client of %s (%s)\n", addr, f.file, conns)
		res = replay.Connect(w, addr, plan, opts)
	}
	switch {
	case res.Diff != nil:
		fmt.Fprint(stdio.Out, res.Diff.Report())
		return exitError
	case res.Cancelled || ctx.Err() != nil:
		fmt.Fprintln(stdio.Err, "netplay replay: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stdio.Out, "netplay replay: no difference (%s)\n", conns)
	return exitOK
}

// connSummary is the line for a connection that matched.
func connSummary(c replay.ConnResult, side replay.Side) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ok: sent %s in %s, received %s as recorded", c.Name,
		plural(int64(c.Sent), "byte"), plural(int64(c.Writes), "write"), plural(int64(c.Received), "byte"))
	switch c.Ended {
	case "closed":
		fmt.Fprintf(&b, ", the %s closed the connection", side.Live())
	case "reset":
		fmt.Fprintf(&b, ", the %s reset the connection", side.Live())
	}
	return b.String()
}
