//go:build unix

package repl

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// More keys.
const (
	keyUp      = "\x1b[A"
	keyCtrlBr  = "\x1d" // Ctrl-]: leave :attach
	pasteStart = "\x1b[200~"
	pasteEnd   = "\x1b[201~"
)

// waitExit waits for the program to end and returns its exit status.
func (c *console) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-c.exited:
		c.exited <- err // for the cleanup
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitCode()
		}
		t.Fatalf("netplay: %v", err)
	case <-time.After(testTimeout):
		t.Fatal("netplay did not exit")
	}
	return -1
}

// With stdout a pipe (netplay | tee log) and stdin a terminal, the REPL is
// still interactive: the prompt and the line being edited are on the
// terminal (stderr), history works, Ctrl-C cancels the entry, not the
// session; results go to the pipe.
func TestTerminalStdoutPiped(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	piped := newTranscript()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		bufio.NewReader(pr).WriteTo(piped)
	}()
	c := startConsoleWith(t, t.TempDir(), pw)
	pw.Close()
	c.expect(t, "netplay REPL")
	c.expect(t, "> ")
	c.typeKeys(t, "20 + 22"+keyEnter)
	piped.waitFor(t, "42\n", 1)
	c.expect(t, freshPrompt)
	c.typeKeys(t, keyUp) // the line editor's history
	c.expect(t, "20 + 22")
	c.typeKeys(t, " + 1"+keyEnter)
	piped.waitFor(t, "43\n", 1)
	c.expect(t, freshPrompt)
	c.typeKeys(t, `print("sleeping") sleep(100)`+keyEnter)
	piped.waitFor(t, "sleeping\n", 1)
	c.typeKeys(t, keyCtrlC)
	c.expect(t, "interrupted")
	c.expect(t, freshPrompt)
	c.typeKeys(t, `"still here"`+keyEnter)
	piped.waitFor(t, `"still here"`+"\n", 1)
	c.expect(t, freshPrompt)
	c.typeKeys(t, keyCtrlD)
	if status := c.waitExit(t); status != 0 {
		t.Fatalf("exit status %d", status)
	}
	<-copied
	pr.Close()
	if got := piped.String(); got != "42\n43\nsleeping\n\"still here\"\n" {
		t.Fatalf("the pipe got %q: prompts or escape codes leaked into it, or results are missing", got)
	}
}

// A bracketed paste of tab-indented code is taken as typed: no completion,
// one line after the other; Tab at the start of a line indents.
func TestTerminalPaste(t *testing.T) {
	c := startConsole(t, t.TempDir())
	c.expect(t, "\x1b[?2004h") // the prompt asks the terminal to mark pastes
	code := "function f(n)\n\tif n > 0 then\n\t\treturn n * 2\n\tend\n\treturn 0\nend\n"
	c.typeKeys(t, pasteStart+code+pasteEnd)
	for _, line := range []string{"> function f(n)", ">>     if n > 0 then", ">>         return n * 2", ">>     end", ">>     return 0", ">> end"} {
		c.expect(t, line) // tabs shown as spaces, each line after its prompt
	}
	c.expect(t, freshPrompt)
	c.typeKeys(t, "f(21)"+keyEnter)
	c.expect(t, "\r\n42")
	c.expect(t, freshPrompt)

	// Pasted text without a newline is left to edit.
	c.typeKeys(t, pasteStart+"f(\t5)"+pasteEnd)
	c.expect(t, "f(  5)") // the tab to the next multiple of 4 columns
	c.typeKeys(t, keyEnter)
	c.expect(t, "\r\n10")
	c.expect(t, freshPrompt)

	// Tab at the start of a line and after a space indents; after a word it
	// completes.
	c.typeKeys(t, keyTab+"y = "+keyTab+"7"+keyEnter)
	c.expect(t, "    y =     7")
	c.expect(t, freshPrompt)
	c.typeKeys(t, "y"+keyEnter)
	c.expect(t, "\r\n7")
	c.expect(t, freshPrompt)
	c.typeKeys(t, "socket.conn"+keyTab)
	c.expect(t, "socket.connect")
	c.typeKeys(t, keyCtrlU+keyEnter)
	c.expect(t, freshPrompt)
}

// _ is the last result; bare exit and help say what to do; :help socket
// lists the module; Tab completes :lo and a path after :load; exit()
// leaves with status 0.
func TestTerminalComforts(t *testing.T) {
	c := startConsole(t, t.TempDir())
	c.expect(t, freshPrompt)
	c.typeKeys(t, "6 * 7"+keyEnter)
	c.expect(t, "\r\n42")
	c.expect(t, freshPrompt)
	c.typeKeys(t, "_ + 1"+keyEnter)
	c.expect(t, "\r\n43")
	c.expect(t, freshPrompt)

	c.typeKeys(t, "exit"+keyEnter)
	c.expect(t, "(to leave, press Ctrl-D or type exit() or :quit)")
	c.expect(t, freshPrompt)
	c.typeKeys(t, "help"+keyEnter)
	c.expect(t, "(type :help for the REPL's commands")
	c.expect(t, freshPrompt)

	c.typeKeys(t, ":help socket"+keyEnter)
	c.expect(t, "socket.tcp()                        a new IPv4 TCP socket\r\n")
	c.expect(t, "s:recv(n) ")
	c.expect(t, freshPrompt)

	c.typeKeys(t, ":lo"+keyTab)
	c.expect(t, ":load ")
	c.typeKeys(t, "testdata/repl/gre"+keyTab)
	c.expect(t, ":load testdata/repl/greet.lua")
	c.typeKeys(t, " tab"+keyEnter)
	c.expect(t, "greet.lua loaded with 1 arguments")
	c.expect(t, freshPrompt)

	c.typeKeys(t, "exit()"+keyEnter)
	if status := c.waitExit(t); status != 0 {
		t.Fatalf("exit() left with status %d", status)
	}
}

// A ticker writing dots without newlines keeps them on one line above the
// prompt, as a terminal would, until the next prompt.
func TestTerminalPartialLines(t *testing.T) {
	c := startConsole(t, t.TempDir())
	c.expect(t, freshPrompt)
	c.typeKeys(t, `tk = every(0.05, function() io.write(".") end)`+keyEnter)
	c.expect(t, freshPrompt)
	// Each dot goes back up to the dots' line and writes it again, one
	// longer; the prompt is drawn again below it.
	c.expect(t, clearRow+moveUp+"..\r\n")
	c.expect(t, clearRow+moveUp+"...\r\n")
	c.typeKeys(t, "abc")
	c.expect(t, "abc")
	c.expect(t, "...\r\n\x1b[1G> abc")
	c.typeKeys(t, keyCtrlU+"tk:cancel()"+keyEnter)
	c.expect(t, freshPrompt)
	c.typeKeys(t, keyCtrlD)
	if status := c.waitExit(t); status != 0 {
		t.Fatalf("exit status %d", status)
	}
}

// echoServer accepts one connection and writes back every chunk it reads,
// keeping a copy of all it received.
type echoServer struct {
	addr string
	mu   sync.Mutex
	got  strings.Builder
	done chan struct{}
}

func startEchoServer(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if n > 0 {
				s.mu.Lock()
				s.got.Write(buf[:n])
				s.mu.Unlock()
				conn.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

func (s *echoServer) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

// :attach hands the terminal to a connection: a typed line is sent (and
// comes back from the echo server), Ctrl-] returns with the socket still
// open; crlf ends lines with "\r\n"; raw sends keys as they are typed.
func TestTerminalAttach(t *testing.T) {
	srv := startEchoServer(t)
	c := startConsole(t, t.TempDir())
	c.expect(t, freshPrompt)
	c.typeKeys(t, fmt.Sprintf("c = socket.connect(%q)", srv.addr)+keyEnter)
	c.expect(t, freshPrompt)

	c.typeKeys(t, ":attach c"+keyEnter)
	c.expect(t, "attached to <tcp 127.0.0.1:")
	c.expect(t, "Ctrl-] returns to the prompt\r\n\x1b[?2004h") // reading keys
	c.typeKeys(t, "hello there"+keyEnter)
	c.expect(t, "hello there\x1b[?2004l\r\n") // the line typed
	c.expect(t, "hello there\r\n")            // and what came back
	c.typeKeys(t, "unsent"+keyCtrlBr)
	c.expect(t, "detached from <tcp")
	c.expect(t, freshPrompt)
	c.typeKeys(t, `tostring(c):match("closed") == nil`+keyEnter)
	c.expect(t, "\r\ntrue")
	c.expect(t, freshPrompt)

	c.typeKeys(t, ":attach c crlf"+keyEnter)
	c.expect(t, "attached to")
	c.expect(t, "prompt\r\n\x1b[?2004h")
	c.typeKeys(t, "second"+keyEnter)
	c.expect(t, "second\x1b[?2004l\r\n")
	c.expect(t, "second\r\n")
	c.typeKeys(t, keyCtrlBr)
	c.expect(t, "detached from")
	c.expect(t, freshPrompt)

	c.typeKeys(t, ":attach c raw"+keyEnter)
	c.expect(t, "each key you type is sent")
	c.expect(t, "prompt\r\n")
	c.typeKeys(t, "x")
	c.expect(t, "x") // sent at once, echoed by the server (raw mode does not echo)
	c.typeKeys(t, "yz")
	c.expect(t, "yz")
	c.typeKeys(t, keyCtrlBr)
	c.expect(t, "detached from")
	c.expect(t, freshPrompt)

	if got, want := srv.received(), "hello there\nsecond\r\nxyz"; got != want {
		t.Fatalf("the server received %q, want %q", got, want)
	}
	c.typeKeys(t, `c:send("still open\n")`+keyEnter)
	c.expect(t, "\r\n11")
	c.expect(t, freshPrompt)
}

// netplay -i with a script that never returns says it runs in the
// foreground and how to get the prompt; Ctrl-C gives it.
func TestTerminalInteractiveServerHint(t *testing.T) {
	c := startConsole(t, t.TempDir(), "-i", "part1/server", "0")
	c.expect(t, "part1/server runs in the foreground and keeps the prompt away: Ctrl-C stops it and gives the prompt;")
	c.expect(t, `spawn(run, "part1/server")`)
	c.typeKeys(t, keyCtrlC)
	c.expect(t, "interrupted")
	c.expect(t, freshPrompt)
	c.typeKeys(t, "1 + 1"+keyEnter)
	c.expect(t, "\r\n2")
}

// The history file holds each line as soon as it is entered (a crash
// loses nothing), not only when the session ends.
func TestTerminalHistoryAppendedAtOnce(t *testing.T) {
	home := t.TempDir()
	c := startConsole(t, home)
	c.expect(t, freshPrompt)
	c.typeKeys(t, "marker_line = 1"+keyEnter)
	c.expect(t, freshPrompt)
	data, err := os.ReadFile(filepath.Join(home, historyName))
	if err != nil || !strings.Contains(string(data), "marker_line = 1\n") {
		t.Fatalf("history while the session runs: %q, %v", data, err)
	}
}
