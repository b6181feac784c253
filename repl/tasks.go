package repl

// :tasks: what runs in the background, what each task waits on, and the
// sockets it holds.

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/netio"
)

// listTasks implements :tasks: one line a live task (id, name, state,
// what it waits on, its sockets), then the sockets that entries typed at
// the prompt opened and left open.
func (r *REPL) listTasks(out io.Writer) {
	tasks := r.h.Tasks()
	if len(tasks) == 0 {
		fmt.Fprintln(out, "no tasks")
	} else {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATE\tWAITING ON\tSOCKETS")
		for _, t := range tasks {
			state, on := splitState(t.State())
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID(), t.Name(), state, orDash(on), orDash(r.socketsOf(t)))
		}
		tw.Flush()
	}
	if prompt := r.promptSockets(); prompt != "" {
		fmt.Fprintf(out, "open from the prompt: %s\n", prompt)
	}
}

// splitState splits "waiting: recv" into "waiting" and "recv".
func splitState(s string) (state, on string) {
	state, on, _ = strings.Cut(s, ": ")
	return state, on
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// socketsOf renders the sockets t owns, sorted.
func (r *REPL) socketsOf(t *host.Task) string {
	var names []string
	for _, c := range r.h.Owned(t) {
		names = append(names, closerString(c.Closer()))
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// promptSockets renders the sockets still owned by finished entries.
func (r *REPL) promptSockets() string {
	var names []string
	for _, t := range r.entries {
		if s := r.socketsOf(t); s != "" {
			names = append(names, s)
		}
	}
	return strings.Join(names, " ")
}

// closerString renders an owned resource: a socket as it prints in Lua.
func closerString(c io.Closer) string {
	if s, ok := c.(*netio.Socket); ok {
		return lualib.SocketString(s)
	}
	return fmt.Sprintf("<%T>", c)
}
