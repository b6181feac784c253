//go:build unix

package repl

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// console is the netplay binary running under a pseudo-terminal: what it
// shows is collected in a transcript, read in order with expect.
type console struct {
	pty    *os.File
	cmd    *exec.Cmd
	out    *transcript
	read   chan struct{} // closed when the pty reader has stopped
	exited chan error    // the program's end (cmd.Wait)
	cursor int           // how far expect has read
}

// startConsole starts netplay with args under a pty, with HOME in a
// temporary folder (for the history file).
func startConsole(t *testing.T, home string, args ...string) *console {
	t.Helper()
	return startConsoleWith(t, home, nil, args...)
}

// startConsoleWith is startConsole with stdout going to stdout instead of
// the pty when it is not nil (netplay | tee log).
func startConsoleWith(t *testing.T, home string, stdout io.Writer, args ...string) *console {
	t.Helper()
	cmd := exec.Command(netplayBinary(t), args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	ptmx, tty, err := pty.Open()
	if err != nil {
		noPTY(t, err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	c := &console{pty: ptmx, cmd: cmd, out: newTranscript(), read: make(chan struct{}), exited: make(chan error, 1)}
	go func() {
		defer close(c.read)
		io.Copy(c.out, ptmx) // ends with EIO once the program has exited
	}()
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill() // harmless once it has exited
		<-c.exited
		ptmx.Close()
		<-c.read
	})
	return c
}

// noPTY skips a test that needs a pseudo-terminal where there is none,
// except under CI=true: there a missing pty fails, so the only tests of
// the terminal (and of Ctrl-C as a signal) cannot pass by not running.
func noPTY(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("no pseudo-terminal (CI=true: the terminal tests must run): %v", err)
	}
	t.Skipf("no pseudo-terminal here: %v", err)
}

// expect waits until want appears after what was already expected, and
// moves past it. It returns the text from the cursor to the end of want.
func (c *console) expect(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		c.out.mu.Lock()
		all, changed := c.out.b.String(), c.out.changed
		c.out.mu.Unlock()
		if i := strings.Index(all[c.cursor:], want); i >= 0 {
			seen := all[c.cursor : c.cursor+i+len(want)]
			c.cursor += i + len(want)
			return seen
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited %v for %q; the terminal shows before the cursor:\n%q\nand after it:\n%q", testTimeout, want, all[max(0, c.cursor-800):c.cursor], all[c.cursor:])
		}
	}
}

// typeKeys sends keys as typed at the terminal.
func (c *console) typeKeys(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(c.pty, keys); err != nil {
		t.Fatal(err)
	}
}

// Control keys.
const (
	keyCtrlC     = "\x03"
	keyCtrlD     = "\x04"
	keyCtrlU     = "\x15" // erase the line before the cursor
	keyBackspace = "\x7f"
	keyTab       = "\t"
	keyEnter     = "\r"
)

// clearRow is how the line editor clears the prompt's row before output
// is written above it (TERM=xterm: cursor to column 1, erase to the end).
const clearRow = "\x1b[1G\x1b[0K"

// freshPrompt is a new prompt after a line was entered (liner ends the
// line, then prints the prompt); a line redrawn while typing starts with
// "\r" alone.
const freshPrompt = "\r\n> "

// The terminal path end to end, with the real binary under a pty: the
// prompts, Tab completion, a background task printing while a line is
// typed, Ctrl-C cancelling a sleep while a ticker goes on, Ctrl-C at an
// empty prompt, Ctrl-D leaving with status 0, and the history file.
func TestTerminalSession(t *testing.T) {
	home := t.TempDir()
	c := startConsole(t, home)
	c.expect(t, "netplay REPL")
	c.expect(t, freshPrompt)

	t.Run("prompt and result", func(t *testing.T) {
		c.typeKeys(t, "1+1"+keyEnter)
		c.expect(t, "\r\n2")
		c.expect(t, freshPrompt)
	})

	t.Run("continuation prompt", func(t *testing.T) {
		c.typeKeys(t, "function f()"+keyEnter)
		c.expect(t, ">> ")
		c.typeKeys(t, "return 42 end"+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "f()"+keyEnter)
		c.expect(t, "\r\n42")
		c.expect(t, freshPrompt)
	})

	t.Run("complete socket.", func(t *testing.T) {
		c.typeKeys(t, "socket.con"+keyTab)
		c.expect(t, "socket.connect")
		c.typeKeys(t, keyEnter)
		c.expect(t, "<function builtin>")
		c.expect(t, freshPrompt)
		c.typeKeys(t, "socket."+keyTab+keyTab)
		list := c.expect(t, "udp")
		list += c.expect(t, "> socket.") // the rest of the columns, then the line again
		for _, name := range []string{"connect", "gethostname", "listen", "pair", "tcp", "SOCK_STREAM"} {
			if !strings.Contains(list, name) {
				t.Errorf("socket.<Tab><Tab> lists no %s:\n%q", name, list)
			}
		}
		c.typeKeys(t, keyCtrlU+keyEnter)
		c.expect(t, freshPrompt)
	})

	t.Run("complete a socket's methods", func(t *testing.T) {
		c.typeKeys(t, "s = socket.tcp()"+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "s:getpe"+keyTab)
		c.expect(t, "s:getpeername")
		c.typeKeys(t, keyCtrlU+"s:recv_"+keyTab+keyTab)
		list := c.expect(t, "recv_until")
		if !strings.Contains(list, "recv_exactly") {
			t.Errorf("s:recv_<Tab><Tab> lists no recv_exactly:\n%q", list)
		}
		c.expect(t, "> s:recv_")
		c.typeKeys(t, keyCtrlU+keyEnter)
		c.expect(t, freshPrompt)
	})

	t.Run("background output above the line being typed", func(t *testing.T) {
		c.typeKeys(t, `srv = socket.listen("127.0.0.1:0")`+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, `srv:getsockname()`+keyEnter)
		addr := regexp.MustCompile(`"(127\.0\.0\.1:\d+)"\r\n`).FindStringSubmatch(c.expect(t, freshPrompt))
		if addr == nil {
			t.Fatal("no address printed")
		}
		c.typeKeys(t, `spawn(function() local conn = srv:accept() print("BG-" .. conn:recv(100)) end)`+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "abc")
		c.expect(t, "abc")
		conn, err := net.Dial("tcp", addr[1])
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("hello"))
		conn.Close()
		c.expect(t, clearRow+"BG-hello\r\n")
		c.expect(t, "> abc") // the prompt and the typed text, drawn again
		c.typeKeys(t, " = 7"+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "abc"+keyEnter)
		c.expect(t, "\r\n7")
		c.expect(t, freshPrompt)
	})

	t.Run("Ctrl-C cancels the entry, the ticker goes on", func(t *testing.T) {
		c.typeKeys(t, "every(0.05, function() n = (n or 0) + 1 end)"+keyEnter)
		c.expect(t, "<timer every 0.05s")
		c.expect(t, freshPrompt)
		c.typeKeys(t, `print("sleeping") sleep(100)`+keyEnter)
		c.expect(t, "sleeping\r\n")
		start := time.Now()
		c.typeKeys(t, keyCtrlC)
		c.expect(t, "interrupted")
		if d := time.Since(start); d > time.Second {
			t.Errorf("sleep(100) stopped %v after Ctrl-C, want within a second", d)
		}
		c.expect(t, freshPrompt)
		c.typeKeys(t, "a = n or 0"+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "sleep(0.3)"+keyEnter)
		c.expect(t, freshPrompt)
		c.typeKeys(t, "n > a, n - a >= 2"+keyEnter)
		c.expect(t, "true, true")
		c.expect(t, freshPrompt)
	})

	t.Run("Ctrl-C on a typed line drops it quietly", func(t *testing.T) {
		// liner prints the prompt before it turns Ctrl-C into a key: the
		// echo of a typed key shows it is reading keys.
		c.typeKeys(t, "x = 1")
		c.expect(t, "x = 1")
		c.typeKeys(t, keyCtrlC)
		seen := c.expect(t, freshPrompt)
		if strings.Contains(seen, "Ctrl-D") {
			t.Errorf("Ctrl-C on a typed line gave the hint to leave: %q", seen)
		}
		c.typeKeys(t, "x"+keyEnter)
		c.expect(t, "\r\nnil")
		c.expect(t, freshPrompt)
	})

	t.Run("Ctrl-C at an empty prompt says how to leave", func(t *testing.T) {
		c.typeKeys(t, "x")
		c.expect(t, "x")
		c.typeKeys(t, keyBackspace+keyCtrlC)
		c.expect(t, "press Ctrl-D")
		c.expect(t, freshPrompt)
	})

	t.Run("Ctrl-D leaves with status 0", func(t *testing.T) {
		c.typeKeys(t, keyCtrlD)
		select {
		case err := <-c.exited:
			c.exited <- err // for the cleanup
			if err != nil {
				t.Fatalf("netplay exited with %v, want status 0", err)
			}
		case <-time.After(testTimeout):
			t.Fatal("netplay did not exit after Ctrl-D")
		}
	})

	t.Run("history kept in HOME", func(t *testing.T) {
		history, err := os.ReadFile(filepath.Join(home, historyName))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"1+1\n", "function f()\n", "abc = 7\n"} {
			if !bytes.Contains(history, []byte(line)) {
				t.Errorf("history lacks %q:\n%s", line, history)
			}
		}
	})
}

// io.read in an entry reads a line as any program does (echo, Enter),
// waits only in its task (a ticker goes on), stops at Ctrl-C, and SIGTERM
// during it ends the session at once with the terminal given back.
func TestTerminalReadsALineInAnEntry(t *testing.T) {
	c := startConsole(t, t.TempDir())
	c.expect(t, freshPrompt)
	c.typeKeys(t, "every(0.02, function() ticks = (ticks or 0) + 1 end)"+keyEnter)
	c.expect(t, freshPrompt)

	c.typeKeys(t, `print("reading") line = io.read()`+keyEnter)
	c.expect(t, "reading\r\n")
	c.typeKeys(t, "a = ticks"+keyEnter) // typed while the entry reads
	c.expect(t, "a = ticks\r\n> ")      // echoed by the terminal, then the prompt
	c.typeKeys(t, "sleep(0.1)"+keyEnter)
	c.expect(t, freshPrompt)
	c.typeKeys(t, `line, ticks > 1`+keyEnter)
	c.expect(t, `"a = ticks", true`)
	c.expect(t, freshPrompt)

	c.typeKeys(t, `print("reading") io.read()`+keyEnter)
	c.expect(t, "reading\r\n")
	c.typeKeys(t, keyCtrlC)
	c.expect(t, "interrupted")
	c.expect(t, freshPrompt)

	c.typeKeys(t, `print("reading") io.read()`+keyEnter)
	c.expect(t, "reading\r\n")
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		c.exited <- err
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("netplay ended with %v, want status 130", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("SIGTERM took %v, want under a second", d)
		}
	case <-time.After(testTimeout):
		t.Fatal("netplay did not exit after SIGTERM")
	}
}
