// Command pgo remakes default.pgo, the CPU profile the Go tool uses to
// build netplay with profile-guided optimisation (go build, go run and go
// install pick up default.pgo in the main package's directory by
// themselves). It builds netplay without a profile, runs the reference echo
// server (scripts/bench/echo_server.lua) under five netplay bench loads
// (ping-pong and pipelined, 32-byte and 4 KiB frames, 16 and 256
// connections), each with NETPLAY_CPUPROFILE set, and merges the five
// profiles with go tool pprof. On Linux the server runs pinned to CPU 1 and
// the load to CPU 0 (taskset), as the benchmark harness runs them.
//
// Run it from the project root when the hot path has changed:
//
//	go run ./testdata/bench/pgo
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// loads are the netplay bench arguments (after the port) of each profile.
var loads = [][]string{
	{"--conns", "16", "--count", "400000"},
	{"--conns", "256", "--count", "400000"},
	{"--conns", "256", "--size", "4096", "--count", "200000"},
	{"--conns", "16", "--pipeline", "64", "--count", "4000000"},
	{"--conns", "16", "--pipeline", "64", "--size", "4096", "--count", "400000"},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pgo:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "netplay-pgo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "netplay")
	if err := command("go", "build", "-pgo=off", "-o", bin, ".").Run(); err != nil {
		return fmt.Errorf("building netplay: %w", err)
	}
	merge := []string{"tool", "pprof", "-proto"}
	for i, load := range loads {
		prof := filepath.Join(dir, fmt.Sprintf("load%d.pprof", i))
		if err := profileLoad(bin, prof, load); err != nil {
			return fmt.Errorf("load %v: %w", load, err)
		}
		merge = append(merge, prof)
	}
	out, err := os.Create("default.pgo")
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := command("go", merge...)
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("merging the profiles: %w", err)
	}
	fmt.Println("pgo: wrote default.pgo")
	return out.Close()
}

// profileLoad runs the echo server with its CPU profile going to prof
// while netplay bench drives it with load, then stops it (SIGTERM writes
// the profile out).
func profileLoad(bin, prof string, load []string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	srv := pinned("1", bin, "run", "bench/echo_server", addr)
	srv.Env = append(os.Environ(), "NETPLAY_CPUPROFILE="+prof)
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Wait()
	defer srv.Process.Signal(syscall.SIGTERM)
	if err := waitListening(addr); err != nil {
		return err
	}
	fmt.Println("pgo: netplay bench", load)
	return pinned("0", bin, append([]string{"bench", addr, "--warmup", "0"}, load...)...).Run()
}

// pinned is a command run on one CPU where taskset is there.
func pinned(cpu, name string, args ...string) *exec.Cmd {
	if path, err := exec.LookPath("taskset"); err == nil {
		return command(path, append([]string{"-c", cpu, name}, args...)...)
	}
	return command(name, args...)
}

// command is a command whose output goes to ours.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd
}

// freePort is a loopback port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits (10 s at most) until something accepts on addr.
func waitListening(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not listening on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
