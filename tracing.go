package main

// The trace flags: --trace[=text|hex|json], --trace-file FILE,
// --trace-time=rel|wall, --record FILE, --view.

import (
	"fmt"
	"io"
	"os"
	"strings"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/tracer"
	"netplay/runtime/traceview"
	"netplay/runtime/wiretrace"
)

// traceFlags are the trace flags of one command line.
type traceFlags struct {
	format string // "", text, hex, json
	file   string // --trace-file
	rel    bool   // --trace-time=rel
	record string // --record
	view   bool   // --view
}

func (f *traceFlags) set(flag string) {
	switch {
	case flag == "--trace":
		f.format = "text"
	case strings.HasPrefix(flag, "--trace="):
		f.format = strings.TrimPrefix(flag, "--trace=")
	case flag == "--trace-time=rel":
		f.rel = true
	case flag == "--trace-time=wall":
		f.rel = false
	case flag == "--view":
		f.view = true
	}
}

func (f *traceFlags) setFile(flag, name string) {
	if flag == "--record" {
		f.record = name
	} else {
		f.file = name
		if f.format == "" {
			f.format = "text"
		}
	}
}

// start installs the trace sinks the flags ask for on h (stderr is where
// the trace goes without --trace-file, and where --view prints its
// address; title names the live page: "netplay run part1/server");
// stop closes the files and the page.
func (f *traceFlags) start(h *host.Host, stderr io.Writer, title string) (stop func(), err error) {
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if f.format != "" {
		out := stderr
		if f.file != "" {
			file, err := os.Create(f.file)
			if err != nil {
				return stop, err
			}
			buffered := tracer.NewFileWriter(file, file)
			closers = append(closers, func() { h.SetTraceSink("trace", nil, nil); buffered.Close() })
			out = buffered
		}
		lualib.SetTracing(h, lualib.TraceFormat(f.format), out, f.rel, nil)
	}
	if f.record != "" {
		file, err := os.Create(f.record)
		if err != nil {
			stop()
			return func() {}, err
		}
		buffered := tracer.NewFileWriter(file, file)
		h.SetTraceSink("record", &tracer.JSON{W: buffered}, nil)
		closers = append(closers, func() { h.SetTraceSink("record", nil, nil); buffered.Close() })
	}
	if f.view {
		live, err := traceview.NewLive(traceview.LiveOptions{Title: title})
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("--view: %v", err)
		}
		fmt.Fprintf(stderr, "netplay: watch the wire at %s\n", live.URL())
		h.SetTraceSink("view", tracer.SinkFunc(func(ev *wiretrace.Event) { live.Publish(*ev) }), nil)
		closers = append(closers, func() { h.SetTraceSink("view", nil, nil); live.Close() })
	}
	return stop, nil
}
