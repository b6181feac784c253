package repl

// :view: the live page of the wire trace for this session.

import (
	"fmt"

	"netplay/runtime/tracer"
	"netplay/runtime/traceview"
	"netplay/runtime/wiretrace"
)

// view implements :view (open the live page, or say where it is) and
// :view off.
func (r *REPL) view(args []string) {
	switch {
	case len(args) == 1 && args[0] == "off":
		r.closeView()
		fmt.Fprintln(r.stdout, "view off")
		return
	case len(args) > 0:
		fmt.Fprintln(r.stderr, "usage: :view   (the live page of the trace)   :view off")
		return
	}
	if r.live == nil {
		live, err := traceview.NewLive(traceview.LiveOptions{Title: "netplay REPL"})
		if err != nil {
			fmt.Fprintf(r.stderr, "view: %v\n", err)
			return
		}
		r.live = live
		r.h.SetTraceSink("view", tracer.SinkFunc(func(ev *wiretrace.Event) { live.Publish(*ev) }), nil)
	}
	fmt.Fprintf(r.stdout, "watch the wire at %s\n", r.live.URL())
}

// closeView stops the live page.
func (r *REPL) closeView() {
	if r.live != nil {
		r.h.SetTraceSink("view", nil, nil)
		r.live.Close()
		r.live = nil
	}
}
