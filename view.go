package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"netplay/runtime/traceview"
	"netplay/runtime/wiretrace"
)

func init() {
	subcommands["view"] = subcommand{
		usage: "view FILE [-o out.html]",
		what:  "a JSON trace or recording as an HTML sequence diagram (FILE - : stdin)",
		run:   viewMain,
	}
}

const viewUsage = `usage: netplay view FILE [-o out.html]

Draws a wire trace (--trace=json) or a recording (--record FILE) as one
self-contained HTML page: a lane per endpoint, an arrow per chunk sent or
received, frame boundaries over the chunks, a hex dump of any chunk on
click. Writes FILE.html next to FILE (trace.jsonl: trace.html), or the
-o path (-o - : stdout), and prints where. FILE - reads stdin (with -o).
`

// viewMain implements netplay view FILE [-o out.html].
func viewMain(_ context.Context, args []string, stdio Stdio) int {
	in, out, help, err := parseViewArgs(args)
	switch {
	case help:
		fmt.Fprint(stdio.Out, viewUsage)
		return exitOK
	case err != nil:
		fmt.Fprintf(stdio.Err, "netplay view: %v\n%s", err, viewUsage)
		return exitUsage
	}
	name, r := in, stdio.In
	if in == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(in)
		if err != nil {
			fmt.Fprintf(stdio.Err, "netplay view: %v\n", err)
			if errors.Is(err, fs.ErrNotExist) {
				return exitUsage
			}
			return exitError
		}
		defer f.Close()
		r = f
	}
	events, err := wiretrace.ReadJSONL(r)
	if err != nil {
		fmt.Fprintf(stdio.Err, "netplay view: %s: %v\n", name, err)
		return exitError
	}
	if out == "" {
		out = viewOutput(in)
	}
	var page bytes.Buffer
	if err := traceview.Render(&page, events, traceview.Options{Title: traceview.FileTitle(name)}); err != nil {
		fmt.Fprintf(stdio.Err, "netplay view: %v\n", err)
		return exitError
	}
	if out == "-" {
		if _, err := stdio.Out.Write(page.Bytes()); err != nil {
			fmt.Fprintf(stdio.Err, "netplay view: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := writeFileAtomic(out, page.Bytes()); err != nil {
		fmt.Fprintf(stdio.Err, "netplay view: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stdio.Out, out)
	return exitOK
}

func parseViewArgs(args []string) (in, out string, help bool, err error) {
	flags := true
	for i := 0; i < len(args); i++ {
		a := args[i]
		if flags && a != "-" && strings.HasPrefix(a, "-") {
			switch {
			case a == "--":
				flags = false
			case a == "-h" || a == "--help":
				return "", "", true, nil
			case a == "-o" || a == "--output":
				if i+1 >= len(args) {
					return "", "", false, fmt.Errorf("%s needs a file", a)
				}
				i++
				out = args[i]
			case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--output="):
				_, out, _ = strings.Cut(a, "=")
			default:
				return "", "", false, fmt.Errorf("unknown flag %s", a)
			}
			continue
		}
		if in != "" {
			return "", "", false, fmt.Errorf("one trace at a time (got %s and %s)", in, a)
		}
		in = a
	}
	switch {
	case in == "":
		return "", "", false, errors.New("which trace? netplay view FILE")
	case in == "-" && out == "":
		return "", "", false, errors.New("reading stdin: say where the page goes with -o FILE (-o - for stdout)")
	}
	return in, out, false, nil
}

// viewOutput is where the page of trace file in goes by default: next to
// it, its extension (.jsonl, .json, .ndjson, .log, .trace) replaced with
// .html, or .html added.
func viewOutput(in string) string {
	switch ext := filepath.Ext(in); ext {
	case ".jsonl", ".json", ".ndjson", ".log", ".trace":
		return strings.TrimSuffix(in, ext) + ".html"
	}
	return in + ".html"
}

// writeFileAtomic writes data to a new file next to path, then renames it
// over path: a failed write leaves no half page behind.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
