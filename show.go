package main

// netplay show NAME: a bundled script's source, to read or to copy and
// change (netplay show part1/server > server.lua).

import (
	"context"
	"fmt"
	"path"
	"strings"

	"netplay/scripts"
)

func init() {
	subcommands["show"] = subcommand{
		usage: "show NAME",
		what:  "print a bundled script's source (netplay show part1/server > server.lua)",
		run:   showMain,
	}
}

const showUsage = `usage: netplay show NAME

Prints the source of the bundled script NAME (as netplay list names it,
e.g. part1/server), so it can be read or copied and changed:

  netplay show part1/server > server.lua
  netplay run server.lua          # a real file wins over a bundled one
`

// showMain implements netplay show NAME.
func showMain(_ context.Context, args []string, stdio Stdio) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdio.Out, showUsage)
		return exitOK
	}
	if len(args) != 1 {
		fmt.Fprint(stdio.Err, "netplay: show needs one script name\n"+showUsage)
		return exitUsage
	}
	src, err := bundled(args[0])
	if err != nil {
		fmt.Fprintf(stdio.Err, "netplay: %s: no such bundled script (netplay list shows them)\n", args[0])
		return exitUsage
	}
	stdio.Out.Write(src)
	return exitOK
}

// bundled returns the source of the bundled script name ("part1/server"
// or "part1/server.lua"); real files are not looked at.
func bundled(name string) ([]byte, error) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	if !strings.HasSuffix(name, ".lua") {
		name += ".lua"
	}
	return scripts.FS.ReadFile(name)
}
