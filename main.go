// Command netplay is a scriptable network playground: Lua scripts with
// sockets, framing and timers, run as files or typed into a REPL.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	limitMemory = true
	go collectWhenQuiet()
	stopProfile := startCPUProfile(os.Getenv("NETPLAY_CPUPROFILE"))
	status := Main(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stopProfile()
	os.Exit(status)
}

// startCPUProfile writes a CPU profile of the whole run to file (the
// NETPLAY_CPUPROFILE variable; go tool pprof reads it), until the returned
// function is called. No file: nothing.
func startCPUProfile(file string) (stop func()) {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netplay: NETPLAY_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
