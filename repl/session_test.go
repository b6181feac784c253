package repl

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inOrder fails unless each part appears in s, each after the one before.
func inOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	rest := s
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("transcript lacks %q (in order); transcript:\n%s", p, s)
		}
		rest = rest[i+len(p):]
	}
}

// The Part I server runs as a task of the session; the prompt connects to
// it and reads the welcome message 8 bytes at a time: one process, real
// sockets. Leaving closes the server's listening socket.
func TestPart1ServerFromThePrompt(t *testing.T) {
	s := startSession(t)
	s.send(t, `srv = spawn(run, "part1/server", "127.0.0.1:0")`)
	addr := s.nextListen(t)
	s.send(t,
		fmt.Sprintf(`c = socket.connect(%q)`, addr),
		`c:getsockname()`,
		`c:recv(8)`, `c:recv(8)`, `c:recv(8)`, `c:recv(8)`,
		fmt.Sprintf(`run("part1/client", %q)`, addr),
	)
	s.out.waitFor(t, "welcome to the server!\n", 1)
	if status := s.end(t); status != 0 {
		t.Fatalf("exit status %d", status)
	}
	out := s.out.String()
	// The server task prints when it accepts, which may fall between a
	// line and its result: leave its lines out of the order checks.
	prompt := withoutLines(out, "connection from ")
	local := between(prompt, "> c:getsockname()\n\"", "\"\n")
	inOrder(t, prompt,
		"> c:recv(8)\n\"welcome \"\n",
		"> c:recv(8)\n\"to the s\"\n",
		"> c:recv(8)\n\"erver!\"\n",
		"> c:recv(8)\n\"\"\n",
	)
	if !strings.Contains(out, "connection from "+local+" has been established!\n") {
		t.Fatalf("the server did not report the prompt's connection from %s:\n%s", local, out)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("the server still listens on %s after the session ended", addr)
	}
}

// withoutLines drops the lines that start with prefix.
func withoutLines(s, prefix string) string {
	var kept []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, prefix) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

// between returns the text after the first `after` up to `before`.
func between(s, after, before string) string {
	_, rest, _ := strings.Cut(s, after)
	v, _, _ := strings.Cut(rest, before)
	return v
}

// Ctrl-C cancels the entry running (a sleep, a blocking recv, a runaway
// loop) within a second, and only it: a ticker in the background keeps
// ticking, sockets from earlier entries stay open, and the sockets the
// cancelled entry opened itself are closed.
func TestInterruptCancelsTheEntryOnly(t *testing.T) {
	s := startSession(t)
	s.send(t,
		`n = 0`,
		`ticker = every(0.01, function() n = n + 1 end)`,
		`keep = socket.listen("127.0.0.1:0")`,
		`c = socket.connect(keep:getsockname())`,
	)
	cases := []struct{ name, entry string }{
		{"sleep", `sleep(100)`},
		{"recv", `c:recv(1)`},
		{"runaway loop", `while true do end`},
		{"a loop inside pcall", `pcall(function() while true do end end)`},
		{"a loop inside pcall, printed", `print(pcall(function() while true do end end))`},
		{"sleep inside pcall", `print(pcall(sleep, 100))`},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := fmt.Sprintf("started %d", i)
			s.send(t, fmt.Sprintf(`tmp = socket.listen("127.0.0.1:0") print(%q) %s`, marker, c.entry))
			s.out.waitFor(t, marker+"\n", 1)
			start := time.Now()
			s.interrupt <- os.Interrupt
			s.out.waitFor(t, "interrupted\n", i+1)
			if d := time.Since(start); d > time.Second {
				t.Fatalf("the entry stopped %v after Ctrl-C", d)
			}
			s.send(t, `before = n`, `sleep(0.05)`, `n > before, tostring(keep):sub(1, 14), tostring(c):sub(1, 4), tostring(tmp)`)
			s.out.waitFor(t, `true, "<tcp listening", "<tcp", "<tcp closed>"`+"\n", i+1)
		})
	}
	if out := s.out.String(); strings.Contains(out, "false") || strings.Contains(out, "context canceled") {
		t.Fatalf("a caught interruption showed through:\n%s", out)
	}
}

// The REPL never holds the interpreter while it waits for input: a task
// spawned from the prompt runs to its end while no line comes.
func TestTasksRunWhileWaitingForInput(t *testing.T) {
	s := startSession(t)
	s.send(t, `spawn(function() for i = 1, 3 do sleep(0.01) print("tick", i) end end)`)
	s.out.waitFor(t, "tick\t3\n", 1)
}

// os.exit(n) leaves the session with status n, from the prompt or from a
// background task.
func TestOsExit(t *testing.T) {
	out, status := runPiped(t, "os.exit(3)\nprint('not reached')\n")
	if status != 3 || strings.Contains(out, "not reached\n") {
		t.Fatalf("status %d, transcript:\n%s", status, out)
	}
	s := startSession(t)
	s.send(t, `after(0.01, function() os.exit(false) end)`)
	if status := s.wait(t); status != 1 {
		t.Fatalf("os.exit(false) from a task: status %d", status)
	}
}

// exit() and quit() leave as os.exit() does; typed bare they only say so.
func TestExitAndQuit(t *testing.T) {
	cases := []struct {
		input  string
		status int
	}{
		{"exit()\nprint('not reached')\n", 0},
		{"exit\nexit(4)\nprint('not reached')\n", 4},
		{"quit()\nprint('not reached')\n", 0},
		{"quit(true)\n", 0},
		{"after(0.01, function() exit(2) end)\nsleep(10)\n", 2},
	}
	for _, c := range cases {
		out, status := runPiped(t, c.input)
		if status != c.status || strings.Contains(out, "not reached\n") {
			t.Errorf("%q: status %d, want %d; transcript:\n%s", c.input, status, c.status, out)
		}
	}
}

// A cancelled context (SIGTERM) ends the session with status 130, even
// while it waits for input.
func TestCancelEnds130(t *testing.T) {
	s := startSession(t)
	s.send(t, `x = 1`)
	s.cancel()
	if status := s.wait(t); status != exitInterrupted {
		t.Fatalf("status %d, want %d", status, exitInterrupted)
	}
}

// Startup (netplay -i FILE ARGS) runs the script before the first prompt,
// over the same globals.
func TestStartupScript(t *testing.T) {
	s := startSession(t, "testdata/repl/greet.lua", "x")
	s.send(t, `greet("you")`)
	s.end(t)
	inOrder(t, s.out.String(), "greet.lua loaded with 1 arguments", `"x"`, `> greet("you")`, `"hello, you"`)
}

// What tasks print while a prompt is shown goes above it (the line
// editor clears its row and draws it again after); a line of output that
// does not end is continued by the next write, until a newline or the
// next prompt; otherwise output goes straight through.
func TestScreenWritesAbovePrompt(t *testing.T) {
	var b strings.Builder
	prompting, columns := false, 80
	scr := newScreen()
	scr.setTerminal(&b, func(write func(bool)) {
		if !prompting {
			write(false)
			return
		}
		b.WriteString("[clear]")
		write(true)
		b.WriteString("[redraw]")
	}, func() int { return columns })
	w := scr.writer(&b, true)
	piped := scr.writer(&b, false)
	cases := []struct {
		name      string
		prompting bool
		newPrompt bool // a new prompt starts before the write
		w         io.Writer
		write     string
		want      string
	}{
		{"no prompt", false, false, w, "plain\n", "plain\n"},
		{"a line above the prompt", true, false, w, "tick\n", "[clear]tick\n[redraw]"},
		{"a partial line", true, false, w, ".", "[clear].\n[redraw]"},
		{"continued", true, false, w, ".", "[clear]" + moveUp + "..\n[redraw]"},
		{"ended", true, false, w, "x\n", "[clear]" + moveUp + "..x\n[redraw]"},
		{"after an end, a new line", true, false, w, "y", "[clear]y\n[redraw]"},
		{"a new prompt ends the partial line", true, true, w, "z", "[clear]z\n[redraw]"},
		{"several lines, the last unfinished", true, true, w, "a\nb\nc", "[clear]a\nb\nc\n[redraw]"},
		{"continues the last", true, false, w, "d\n", "[clear]" + moveUp + "cd\n[redraw]"},
		{"a pipe is not the terminal", true, false, piped, "p", "p"},
		{"output of an entry that does not end its line", false, false, w, "abc", "abc"},
		{"the next prompt starts on a new line", false, true, w, "", "\n"},
	}
	for _, c := range cases {
		b.Reset()
		prompting = c.prompting
		if c.newPrompt {
			scr.promptStarting()
		}
		if n, err := c.w.Write([]byte(c.write)); n != len(c.write) || err != nil {
			t.Fatalf("%s: Write: %d, %v", c.name, n, err)
		}
		if b.String() != c.want {
			t.Errorf("%s: wrote %q, want %q", c.name, b.String(), c.want)
		}
	}
	// A partial line as wide as the terminal is not continued: it wrapped.
	b.Reset()
	columns, prompting = 4, true
	scr.promptStarting()
	w.Write([]byte("wide"))
	w.Write([]byte("r"))
	if want := "[clear]wide\n[redraw][clear]r\n[redraw]"; b.String() != want {
		t.Errorf("a wide partial line: wrote %q, want %q", b.String(), want)
	}
}

// :help prints the help text; :help tutorial walks the tutorial a step
// at a time.
func TestHelp(t *testing.T) {
	out, _ := runPiped(t, ":help\n:help tutorial all\n")
	if want := "> :help\n" + helpText + "> :help tutorial all\n" + tutorialText; out != want {
		t.Fatalf("got:\n%s", out)
	}
	for _, topic := range []string{":load FILE", ":tasks", ":kill N", ":trace on|off", ":attach CONN", ":quit", ":help socket", ":help f:recv", ":next", "Top-level locals", "Ctrl-C", "Ctrl-D", "Tab", "Paste", "_"} {
		if !strings.Contains(helpText, topic) {
			t.Errorf(":help says nothing of %s", topic)
		}
	}
	if !strings.HasPrefix(tutorialText, "## The tutorial in the REPL\n") {
		t.Errorf("the tutorial does not start with its README heading")
	}
}

// The tutorial's steps, one example session each, make up the whole
// tutorial, and :help tutorial, :next and :help tutorial N walk them.
func TestTutorialSteps(t *testing.T) {
	steps := tutorialSteps(tutorialText)
	if len(steps) != len(tutorialBlocks(tutorialText)) {
		t.Fatalf("%d steps for %d example sessions", len(steps), len(tutorialBlocks(tutorialText)))
	}
	joined := strings.Join(steps, "\n")
	if strings.Join(strings.Fields(joined), " ") != strings.Join(strings.Fields(tutorialText), " ") {
		t.Fatal("the steps, joined, are not the tutorial")
	}
	n := len(steps)
	out, _ := runPiped(t, ":help tutorial\n:next\n:help tutorial "+fmt.Sprint(n)+"\n:next\n:help tutorial 0\n")
	footer := func(i int, next string) string {
		return fmt.Sprintf("\n(step %d of %d: %s, :help tutorial N for step N, :help tutorial all for all of it)\n", i, n, next)
	}
	want := "> :help tutorial\n" + steps[0] + footer(1, ":next for the next") +
		"> :next\n" + steps[1] + footer(2, ":next for the next") +
		fmt.Sprintf("> :help tutorial %d\n", n) + steps[n-1] + footer(n, "the last one") +
		"> :next\nthat was the last step of the tutorial (:help tutorial to start again)\n" +
		"> :help tutorial 0\n" + fmt.Sprintf("the tutorial has steps 1 to %d: :help tutorial N\n", n)
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

// :trace on shows the bytes an entry receives; :trace off stops it.
func TestTraceCommand(t *testing.T) {
	out, _ := runPiped(t, `srv = socket.listen("127.0.0.1:0")
spawn(function() local c = srv:accept() c:send("hi") c:recv(2) c:send("again") c:close() end)
c = socket.connect(srv:getsockname())
:trace on
c:recv_exactly(2)
:trace off
c:send("go")
c:recv(10)
`)
	inOrder(t, out, "trace on\n", ` recv 2 "hi"`, "> :trace off\n", "\"again\"\n")
	if strings.Contains(out, `"go"`+"\n") || strings.Contains(out, `5 "again"`) {
		t.Errorf("traced after :trace off:\n%s", out)
	}
}

// The history file keeps its bound: a file that grew past it is cut to
// exactly its last lines when a session starts, never fewer; a file
// within it is left alone; lines are appended as entered.
func TestHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), historyName)
	h := &history{path: path, limit: 5}
	if lines := h.load(); lines != nil {
		t.Fatalf("no file: %q", lines)
	}
	for i := 1; i <= 8; i++ {
		h.add(fmt.Sprintf("line %d", i))
	}
	h.add("")           // nothing
	h.add("two\nlines") // never split into two entries
	lines := h.load()
	want := []string{"line 4", "line 5", "line 6", "line 7", "line 8"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("load: %q, want %q", lines, want)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "line 4\nline 5\nline 6\nline 7\nline 8\n" {
		t.Fatalf("the file after load: %q", data)
	}
	h.add("line 9")
	if lines := (&history{path: path, limit: 6}).load(); len(lines) != 6 || lines[5] != "line 9" {
		t.Fatalf("within its bound the file is left alone: %q", lines)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the history file's mode: %v, %v", fi.Mode(), err)
	}
}

// :attach on a pipe: each later line is sent, what comes back is printed,
// a line of just Ctrl-] returns; the connection stays open.
func TestAttachOnAPipe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer conn.Close()
		var all []byte
		buf := make([]byte, 100)
		for !strings.Contains(string(all), "bye\r\n") {
			n, err := conn.Read(buf)
			all = append(all, buf[:n]...)
			conn.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- string(all)
	}()
	s := startSession(t)
	s.send(t, fmt.Sprintf("c = socket.connect(%q)", ln.Addr().String()), ":attach c")
	s.out.waitFor(t, "Ctrl-] returns to the prompt\n", 1)
	s.send(t, "hello")
	s.out.waitFor(t, "hello\nhello\n", 1) // the line echoed, then what came back
	s.send(t, detachLine, `tostring(c):match("^<tcp 127")`, ":attach c crlf")
	s.out.waitFor(t, "detached from <tcp 127.0.0.1:", 1)
	s.out.waitFor(t, `"<tcp 127"`+"\n", 1)
	s.out.waitFor(t, "Ctrl-] returns to the prompt\n", 2)
	s.send(t, "bye", detachLine, `:attach nosuch`, `x = 1`, `:attach x`, `:attach c sideways`,
		`l = socket.listen("127.0.0.1:0")`, `:attach l`, `hi`, detachLine)
	if received := <-got; received != "hello\nbye\r\n" {
		t.Fatalf("the server received %q", received)
	}
	s.end(t)
	inOrder(t, s.out.String(),
		"attach: no value nosuch\n",
		"attach: x is 1, not a socket\n",
		`attach: "sideways" is not crlf or raw`+"\n",
		"(not sent: bad argument #1 to sendall (socket is not connected))\n",
		"detached from <tcp listening 127.0.0.1:")
}

// Attaching leaves the connection with the entry that opened it: :tasks
// still lists it as open from the prompt, and a failed send in :attach
// does not close it.
func TestAttachKeepsTheOwner(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, _ := runPiped(t, fmt.Sprintf("c = socket.connect(%q)\n:attach c\n\x1d\n:tasks\n", ln.Addr()))
	if !strings.Contains(out, "open from the prompt: <tcp 127.0.0.1:") {
		t.Fatalf("the connection left the prompt's keeping:\n%s", out)
	}
}
