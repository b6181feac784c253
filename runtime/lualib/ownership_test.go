package lualib_test

// Closing is the host's job (issue 8, item 8): a task that fails or is
// cancelled closes the sockets it owns, Shutdown closes every socket, and
// the garbage collector closes a socket no Lua value refers to. Proved in
// this process, where the kernel does not close anything for us at exit:
// sockets are counted in /proc/self/fd (openFDs, not all descriptors: the
// Go runtime opens and closes its own) and every peer must see the end of
// its stream.

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netplay/runtime/host"
	"netplay/runtime/luatest"
)

// A socket no Lua value refers to is closed by the garbage collector:
// specified in Lua, each test waiting for its peer's end of stream with a
// deadline.
func TestCollectorClosesDroppedSockets(t *testing.T) {
	luatest.RunFile(t, "testdata/collect_test.lua", nil)
}

// peerDeadline bounds every wait of a peer in these tests.
const peerDeadline = 10 * time.Second

// namedPeer is a Go TCP peer: it greets each connection with "hello\n",
// reads the name the script sends on its first line, then reads until
// the end of the stream and reports how the connection ended.
type namedPeer struct {
	ln   net.Listener
	ends chan peerEnd
	wg   sync.WaitGroup
}

// peerEnd is how one connection to a namedPeer ended: rest is what came
// after the name, err nil at the end of the stream (a reset or a timeout
// otherwise).
type peerEnd struct {
	name, rest string
	err        error
}

func startNamedPeer(t *testing.T) *namedPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &namedPeer{ln: ln, ends: make(chan peerEnd, 64)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * peerDeadline)) // past waitEnds: a missing end is reported as such
				c.Write([]byte("hello\n"))
				r := bufio.NewReader(c)
				name, _ := r.ReadString('\n')
				rest, err := io.ReadAll(r)
				p.ends <- peerEnd{strings.TrimSpace(name), string(rest), err}
			}()
		}
	}()
	t.Cleanup(p.close)
	return p
}

// close stops accepting and waits for every connection's goroutine.
func (p *namedPeer) close() {
	p.ln.Close()
	p.wg.Wait()
}

// waitEnds waits (bounded) until the connections named have ended and
// returns how each did; a connection that ends but is not named fails the
// test.
func (p *namedPeer) waitEnds(t *testing.T, names ...string) map[string]peerEnd {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]peerEnd{}
	timeout := time.After(peerDeadline)
	for len(got) < len(want) {
		select {
		case e := <-p.ends:
			if !want[e.name] {
				t.Fatalf("connection %q ended (%q, %v); waiting for %v", e.name, e.rest, e.err, names)
			}
			if e.err != nil && !isReset(e.err) {
				t.Fatalf("connection %q: %v; want the end of the stream", e.name, e.err)
			}
			got[e.name] = e
		case <-timeout:
			t.Fatalf("after %v only %d of %v ended", peerDeadline, len(got), names)
		}
	}
	return got
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// waitSockets waits (bounded) until the process has want sockets open.
func waitSockets(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(peerDeadline)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n := openFDs(t)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d sockets open, want %d", what, n, want)
		}
		<-tick.C
	}
}

// runInHost starts code as the main task of a fresh host with globals set
// and returns the host (shut down at the end of the test, or earlier by
// the test) and the task.
func runInHost(t *testing.T, code string, globals map[string]any, stdout, stderr *luatest.Buffer) (*host.Host, *host.Task) {
	t.Helper()
	h := luatest.NewHost(t, stdout, stderr)
	luatest.SetGlobals(h, globals)
	fn, err := h.L.LoadString(code)
	if err != nil {
		t.Fatal(err)
	}
	return h, h.Spawn(fn, nil, hostOptions("main"))
}

// waitTask waits (bounded) for t to end.
func waitTask(t *testing.T, task *host.Task, stdout, stderr *luatest.Buffer) {
	t.Helper()
	select {
	case <-task.Done():
	case <-time.After(peerDeadline):
		t.Fatalf("%v still running\nstdout:\n%s\nstderr:\n%s", task, stdout.String(), stderr.String())
	}
	if _, err := task.Result(); err != nil {
		t.Fatalf("%v: %s\nstdout:\n%s\nstderr:\n%s", task, host.FormatError(err), stdout.String(), stderr.String())
	}
}

// victimScript starts a task that owns sockets every way a task can (it
// opened them, it was handed one by spawn, it received on one captured
// in its closure, one is wrapped in a framed socket) and one it only
// sends on (main's: it must stay open). END is "fail" or "cancel": how
// the task ends. Main then checks what stayed open and returns, leaving
// its own two sockets open.
const victimScript = `
	local function named(name)
		local c = assert(socket.connect(PEER))
		assert(c:sendall(name .. "\n"))
		return c
	end
	-- main's, kept in globals: main returns normally and leaves them open
	LST = assert(socket.listen("127.0.0.1:0"))
	SHARED = named("shared") -- the task only sends on it
	local lst, shared = LST, SHARED
	local captured = named("captured")                  -- the task receives on it
	local ready, finish = sync.event(), sync.event()
	local victim = spawn(function(given)
		local opened = named("opened")
		local framed = frame.wrap(named("framed"), frame.line())
		local l2 = assert(socket.listen("127.0.0.1:0"))
		L2 = l2:getsockname()
		local c = assert(socket.connect(L2))
		local s = assert(l2:accept())
		assert(captured:recv_until("\n") == "hello")   -- received on: now the task's
		assert(framed:recv() == "hello")
		assert(given:recv_until("\n") == "hello")
		shared:sendall("from the task\n")               -- sending takes nothing over
		ready:set()
		finish:wait()
		error("boom")
	end, named("given"))
	ready:wait()
	if END == "fail" then finish:set() else victim:cancel() end
	local _, err = victim:join()
	print(END, tostring(err):match("boom") or err)
	-- What the task owned is closed; what main owns is not.
	local c, cerr = socket.connect(L2)
	print("task's listener:", c, cerr)
	print("captured:", captured:send("x"))
	shared:sendall("still open\n")
	local c2 = assert(socket.connect(lst:getsockname()))
	local a = lst:accept()
	print("main's listener accepts:", a ~= nil)
	a:close()
	c2:close()
`

// A task that fails, or is cancelled, closes every socket it owns,
// however it came to own it, and nothing else; Shutdown then closes the
// rest. Sockets are counted in /proc/self/fd; no goroutine outlives the
// host.
func TestFailedOrCancelledTaskClosesWhatItOwns(t *testing.T) {
	for _, end := range []string{"fail", "cancel"} {
		t.Run(end, func(t *testing.T) {
			base := openFDs(t)
			ignore := goleak.IgnoreCurrent() // before the work, so whatever it starts is checked
			p := startNamedPeer(t)
			var stdout, stderr luatest.Buffer
			h, main := runInHost(t, victimScript, map[string]any{"PEER": p.ln.Addr(), "END": end}, &stdout, &stderr)
			ends := p.waitEnds(t, "opened", "framed", "given", "captured")
			waitTask(t, main, &stdout, &stderr)
			for name, e := range ends {
				if name == "captured" && e.rest != "" {
					t.Errorf("captured: the peer got %q after the task ended", e.rest)
				}
			}
			want := end + "\tboom\n"
			if end == "cancel" {
				want = "cancel\tcancelled\n"
			}
			want += "task's listener:\tnil\tconnection refused\n" +
				"captured:\tnil\tclosed\t0\n" +
				"main's listener accepts:\ttrue\n"
			if got := stdout.String(); got != want {
				t.Fatalf("stdout:\n%s\nwant:\n%s\nstderr:\n%s", got, want, stderr.String())
			}
			// Left open: main's listener and its connection to the peer
			// (main returned normally), the peer's listener and its side
			// of that connection.
			waitSockets(t, base+4, "after the task ended")

			if err := h.Shutdown(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			shared := p.waitEnds(t, "shared")["shared"]
			if shared.rest != "from the task\nstill open\n" {
				t.Errorf("shared: the peer got %q", shared.rest)
			}
			p.close()
			waitSockets(t, base, "after Shutdown")
			goleak.VerifyNone(t, ignore)
		})
	}
}

// shutdownScript leaves sockets in every state a socket can be in when the
// host shuts down: listening with a task in accept, connected with a task
// waiting in recv, in a framed recv, held by a sleeping task, by a task
// that returned normally (in a global), a UDP socket, a fresh and a bound
// socket, a pair of connected sockets inside the process, and one opened by
// Go code outside any task. Shutdown must close them all.
const shutdownScript = `
	local function named(name)
		local c = assert(socket.connect(PEER))
		assert(c:sendall(name .. "\n"))
		return c
	end
	local lst = assert(socket.listen("127.0.0.1:0"))
	spawn(function() while true do lst:accept() end end)
	spawn(function(c) c:recv_until("\n") c:recv(10) end, named("recv"))
	spawn(function(c) local f = frame.wrap(c, frame.line()) f:recv() f:recv() end, named("framed"))
	spawn(function(c) sleep(1000) end, named("sleeping"))
	kept = { named("kept"), socket.udp(), socket.tcp() }
	assert(kept[2]:bind("127.0.0.1:0"))
	kept[4] = socket.tcp()
	assert(kept[4]:bind("127.0.0.1:0"))
	kept[5] = assert(socket.connect(lst:getsockname()))
	READY = true
`

// Shutdown closes every socket, whoever owns it and whatever waits on it:
// every peer sees the end of its stream, the process has no socket more
// than before, and no goroutine is left.
func TestShutdownClosesEverySocket(t *testing.T) {
	base := openFDs(t)
	ignore := goleak.IgnoreCurrent()
	p := startNamedPeer(t)
	var stdout, stderr luatest.Buffer
	h, main := runInHost(t, shutdownScript, map[string]any{"PEER": p.ln.Addr()}, &stdout, &stderr)
	waitTask(t, main, &stdout, &stderr)
	// One more from Go code outside any task (as the REPL's compiler or a
	// test does): owned by nobody. Nothing outside a task may wait, so a
	// listener.
	h.Lock()
	err := h.L.DoString(`nobody = assert(socket.listen("127.0.0.1:0")); NOBODY = nobody:getsockname()`)
	nobody := h.L.GetGlobal("NOBODY").String()
	h.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t); n <= base+10 {
		t.Fatalf("%d sockets open with the script running, %d before: the script did not open what it should", n, base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), peerDeadline)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(5 * time.Second) }()
	p.waitEnds(t, "recv", "framed", "sleeping", "kept")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Shutdown did not return")
	}
	if c, err := net.Dial("tcp", nobody); err == nil {
		c.Close()
		t.Errorf("the listener opened outside any task still accepts after Shutdown")
	}
	p.close()
	waitSockets(t, base, "after Shutdown")
	goleak.VerifyNone(t, ignore)
	if stderr.String() != "" {
		t.Errorf("stderr: %s", stderr.String())
	}
}
