package main

// netplay bench: a load generator for framed request/response servers
// (the engine is runtime/loadgen).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"netplay/runtime/framing"
	"netplay/runtime/loadgen"
	"netplay/runtime/lualib"
)

func init() {
	subcommands["bench"] = subcommand{
		usage: "bench ADDR [flags]",
		what:  "load-test a framed server, every reply checked (bench --help)",
		run:   benchMain,
	}
}

const benchUsage = `usage: netplay bench ADDR [flags]

Load-tests the server at ADDR ([host:]port; the host defaults to
127.0.0.1): each connection sends framed messages and checks every reply
byte for byte (each message carries its connection and sequence numbers).
Prints messages/s, MB/s, latency, errors and mismatches. Exit status 0 when
all went well, 1 on any error or mismatch, 2 on a usage error.

Only loopback and private addresses (127/8, ::1, localhost, 10/8,
172.16/12, 192.168/16, fc00::/7) unless --allow-remote.

flags:
`

const benchUsageTail = `
examples:
  netplay bench 5555                                  header(10) echo, 16 connections, 5s
  netplay bench 127.0.0.1:5555 --pipeline 64 --size 4096
  netplay bench 5555 --codec line --script ping.lua   a protocol of your own
`

// durationFlag is a duration that also takes plain seconds ("5", "0.5").
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*f.d = time.Duration(v * float64(time.Second))
	} else if *f.d, err = time.ParseDuration(s); err != nil {
		return errors.New("want a duration such as 5s, 500ms or 2 (seconds)")
	}
	if *f.d < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// benchFlags are the command line of netplay bench.
type benchFlags struct {
	addr        string
	codec       string
	size        int
	conns       int
	pipeline    int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	count       int64
	rate        float64
	json        bool
	script      string
	allowRemote bool
	set         map[string]bool // the flags given
}

// newBenchFlagSet defines the flags into f. It prints nothing: errors
// come back from Parse, and the usage is printed on --help.
func newBenchFlagSet(f *benchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.codec, "codec", "header", "`NAME`: "+loadgen.CodecNames)
	fs.IntVar(&f.size, "size", 32, "payload `BYTES` per message (with fixed:N, N)")
	fs.IntVar(&f.conns, "conns", 16, "`N` connections, each with its own goroutine")
	fs.IntVar(&f.pipeline, "pipeline", 1, "write `N` frames back to back, then read their replies")
	f.duration = 5 * time.Second
	fs.Var(durationFlag{&f.duration}, "duration", "the measured window (`TIME`: 5s, 500ms, 2)")
	fs.Var(durationFlag{&f.warmup}, "warmup", "run `TIME` first, not counted")
	f.timeout = 5 * time.Second
	fs.Var(durationFlag{&f.timeout}, "timeout", "wait at most `TIME` to connect or for a reply")
	fs.Int64Var(&f.count, "count", 0, "send exactly `N` messages (after the warm-up) instead of a duration")
	fs.Float64Var(&f.rate, "rate", 0, "at most `N` messages/s in all, paced (default: as fast as replies come)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object with every figure instead of the report")
	fs.StringVar(&f.script, "script", "", "Lua `FILE` defining request(conn, seq) and/or check(request, reply, conn, seq)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow an address that is not loopback or private (a server you own)")
	return fs
}

// printBenchUsage prints the usage, the flags written as --name.
func printBenchUsage(out io.Writer) {
	var f benchFlags
	fs := newBenchFlagSet(&f)
	fmt.Fprint(out, benchUsage)
	printFlags(out, fs, 20, func(string) string { return "--" })
	fmt.Fprint(out, benchUsageTail)
}

// printFlags lists fs's flags for a usage text, a line each: the flag as
// dash(name) writes it with its argument, padded to width, then what it
// does and its default (when it has one that says something).
func printFlags(out io.Writer, fs *flag.FlagSet, width int, dash func(name string) string) {
	fs.VisitAll(func(fl *flag.Flag) {
		arg, usage := flag.UnquoteUsage(fl)
		if _, isBool := fl.Value.(interface{ IsBoolFlag() bool }); isBool {
			arg = ""
		}
		name := dash(fl.Name) + fl.Name
		if arg != "" {
			name += " " + arg
		}
		if fl.DefValue != "" && fl.DefValue != "0" && fl.DefValue != "false" {
			usage += " (default " + fl.DefValue + ")"
		}
		fmt.Fprintf(out, "  %-*s %s\n", width, name, usage)
	})
}

// parseBenchArgs reads the flags, which may come before or after ADDR.
func parseBenchArgs(args []string) (*benchFlags, error) {
	f := &benchFlags{set: map[string]bool{}}
	fs := newBenchFlagSet(f)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch len(positional) {
	case 0:
		return nil, errors.New("bench needs an address: netplay bench ADDR [flags]")
	case 1:
		f.addr = positional[0]
	default:
		return nil, fmt.Errorf("bench takes one address, got %q", positional)
	}
	if f.set["count"] && f.set["duration"] {
		return nil, errors.New("--count and --duration: give one of them")
	}
	if f.set["count"] && f.count < 1 {
		return nil, errors.New("--count must be at least 1")
	}
	if n := loadgen.FixedSize(f.codec); n > 0 {
		if !f.set["size"] {
			f.size = n
		} else if f.size != n {
			return nil, fmt.Errorf("--codec %s frames %d-byte messages, --size is %d", f.codec, n, f.size)
		}
	}
	return f, nil
}

// benchMain runs netplay bench.
func benchMain(ctx context.Context, args []string, stdio Stdio) int {
	usageError := func(err error) int { return subcommandUsageError(stdio, "bench", err) }
	f, err := parseBenchArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		printBenchUsage(stdio.Out)
		return exitOK
	}
	if err != nil {
		return usageError(err)
	}
	addr, err := lualib.ParseAddress(f.addr)
	if err != nil {
		return usageError(err)
	}
	if err := loadgen.CheckAddress(addr); errors.Is(err, loadgen.ErrRemote) {
		if !f.allowRemote {
			return usageError(fmt.Errorf("refusing %v: netplay bench targets loopback and private test addresses; --allow-remote to load-test a server you own", err))
		}
		fmt.Fprintf(stdio.Err, "netplay bench: warning: %s is not a loopback or private address; load-test only servers you own or may test\n", addr)
	} else if err != nil {
		return usageError(err)
	}
	codec, err := loadgen.ParseCodec(f.codec, max(framing.DefaultMax, f.size))
	if err != nil {
		return usageError(err)
	}
	cfg := loadgen.Config{
		Addr: addr, Codec: codec, Size: f.size, Conns: f.conns, Pipeline: f.pipeline,
		Warmup: f.warmup, Duration: f.duration, Count: f.count, Rate: f.rate, Timeout: f.timeout,
	}
	if f.count > 0 {
		cfg.Duration = 0
	}
	if f.script != "" {
		src, err := os.ReadFile(f.script)
		if err != nil {
			return usageError(fmt.Errorf("--script: %w", err))
		}
		if cfg.Script, err = loadgen.NewScript(f.script, src); err != nil {
			fmt.Fprintf(stdio.Err, "netplay bench: %v\n", err)
			return exitError
		}
	}
	live := stderrIsTerminal(stdio.Err)
	if live {
		cfg.Progress = func(p loadgen.Progress) { fmt.Fprint(stdio.Err, "\r"+progressLine(p)+"\x1b[K") }
	}
	res, err := loadgen.Run(ctx, cfg)
	if live {
		fmt.Fprint(stdio.Err, "\r\x1b[K")
	}
	if err != nil {
		return usageError(err)
	}
	if f.json {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintf(stdio.Out, "%s\n", b)
	} else {
		writeReport(stdio.Out, res)
	}
	switch {
	case res.Interrupted:
		fmt.Fprintln(stdio.Err, "netplay bench: interrupted")
		return exitInterrupted
	case !res.OK:
		fmt.Fprintf(stdio.Err, "netplay bench: %s, %s\n", plural(res.Errors, "error"), plural(res.Mismatches, "mismatch"))
		return exitError
	}
	return exitOK
}

// stderrIsTerminal reports whether w is a terminal (the progress line
// goes there only then).
func stderrIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressLine is the live line: what the run does now.
func progressLine(p loadgen.Progress) string {
	phase := ""
	if p.Warmup {
		phase = " warm-up"
	}
	return fmt.Sprintf("%6.1fs%s  %s msgs/s  %.1f MB/s  errors %d  mismatches %d",
		p.Elapsed.Seconds(), phase, group(int64(p.MsgsPerSec+0.5)), p.MBPerSec, p.Errors, p.Mismatches)
}

// writeReport prints the figures of a run for a person.
func writeReport(out io.Writer, r *loadgen.Result) {
	shape := fmt.Sprintf("%d-byte payloads", r.Size)
	if r.Script != "" {
		shape = "script " + r.Script
	}
	how := fmt.Sprintf("%gs", r.Duration)
	if r.Count > 0 {
		how = group(r.Count) + " messages"
	}
	if r.WarmupS > 0 {
		how += fmt.Sprintf(" after %gs warm-up", r.WarmupS)
	}
	if r.Rate > 0 {
		how += fmt.Sprintf(", at most %g msgs/s", r.Rate)
	}
	fmt.Fprintf(out, "netplay bench %s: %s, %s, %d connections, pipeline %d, %s\n", r.Addr, r.Codec, shape, r.Conns, r.Pipeline, how)
	fmt.Fprintf(out, "  messages    %s in %.2fs: %s msgs/s\n", group(r.Messages), r.ElapsedS, group(int64(r.MsgsPerSec+0.5)))
	fmt.Fprintf(out, "  bytes       %s sent, %s received: %.2f MB/s received\n", megabytes(r.BytesSent), megabytes(r.BytesReceived), r.MBPerSec)
	fmt.Fprintf(out, "  latency     per %s: p50 %s  p90 %s  p99 %s  max %s\n", r.LatencyPer, micros(r.P50us), micros(r.P90us), micros(r.P99us), micros(r.MaxUs))
	if r.ElapsedS > 0 {
		note := ""
		if r.ClientCPUPct > 90*float64(r.ClientCores) {
			note = ": netplay bench itself was busy, the server may be faster than this"
		}
		fmt.Fprintf(out, "  client CPU  %.0f%% of %s%s\n", r.ClientCPUPct, plural(int64(r.ClientCores), "core"), note)
	}
	errs := strconv.FormatInt(r.Errors, 10)
	var kinds []string
	for _, k := range []struct {
		n    int64
		what string
	}{{r.ConnectErrors, "connect"}, {r.ServerClosed, "closed by the server"}, {r.Timeouts, "timed out"}} {
		if k.n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", k.n, k.what))
		}
	}
	if len(kinds) > 0 {
		errs += " (" + strings.Join(kinds, ", ") + ")"
	}
	fmt.Fprintf(out, "  errors      %s\n", errs)
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(out, "              %s\n", s)
	}
	fmt.Fprintf(out, "  mismatches  %d\n", r.Mismatches)
	for _, s := range r.MismatchSamples {
		fmt.Fprintf(out, "              %s\n", s)
	}
	if r.Mismatches > int64(len(r.MismatchSamples)) {
		fmt.Fprintf(out, "              (the first %d shown)\n", len(r.MismatchSamples))
	}
}

// group writes n with thousands separators: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// megabytes writes n bytes in MB (10^6), or in bytes below 1 MB.
func megabytes(n int64) string {
	if n < 1e6 {
		return group(n) + " bytes"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// micros writes a latency given in µs with a unit that suits it.
func micros(us float64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%.1fµs", us)
	case us < 1e6:
		return fmt.Sprintf("%.2fms", us/1e3)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "h") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
