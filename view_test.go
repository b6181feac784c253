package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"netplay/runtime/luatest"
	"netplay/runtime/wiretrace"
)

const viewFixture = "runtime/traceview/testdata/part1_recv8_loop.jsonl"

// traceCopy puts the Part I fixture in a temporary folder under name.
func traceCopy(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(viewFixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func checkPage(t *testing.T, path string) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.HasPrefix(s, "<!DOCTYPE html>") || !strings.Contains(s, `welcome to the server!`) || !strings.Contains(s, "<title>netplay view: ") {
		t.Errorf("%s is not the trace's page (%d bytes)", path, len(page))
	}
}

func TestViewWritesThePageNextToTheTrace(t *testing.T) {
	for name, want := range map[string]string{"session.jsonl": "session.html", "trace": "trace.html", "rec.v1.json": "rec.v1.html"} {
		in := traceCopy(t, name)
		r := runCLI(t, "view", in)
		out := filepath.Join(filepath.Dir(in), want)
		if r.status != 0 || r.stdout != out+"\n" || r.stderr != "" {
			t.Fatalf("netplay view %s: %d, stdout %q, stderr %q; want 0 and %s", name, r.status, r.stdout, r.stderr, out)
		}
		checkPage(t, out)
	}
}

func TestViewOutputFlag(t *testing.T) {
	in := traceCopy(t, "t.jsonl")
	for _, args := range [][]string{{"-o", "X"}, {"-o=X"}, {"--output", "X"}} {
		out := filepath.Join(t.TempDir(), "out.html")
		for i := range args {
			args[i] = strings.Replace(args[i], "X", out, 1)
		}
		r := runCLI(t, append([]string{"view"}, append(args, in)...)...)
		if r.status != 0 || r.stdout != out+"\n" {
			t.Fatalf("netplay view %v: %d %q %q", args, r.status, r.stdout, r.stderr)
		}
		checkPage(t, out)
	}
}

func TestViewFromStdinToStdout(t *testing.T) {
	data, err := os.ReadFile(viewFixture)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut luatest.Buffer
	status := Main(ctx, []string{"view", "-", "-o", "-"}, Stdio{In: strings.NewReader(string(data)), Out: &out, Err: &errOut})
	if status != 0 || !strings.HasPrefix(out.String(), "<!DOCTYPE html>") || !strings.Contains(out.String(), "<title>netplay view: stdin</title>") {
		t.Fatalf("netplay view - -o -: %d, stderr %q, stdout %.80q", status, errOut.String(), out.String())
	}
}

func TestViewErrors(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(viewFixture)
	lines := strings.SplitAfter(string(good), "\n")
	notJSON := filepath.Join(dir, "broken.jsonl")
	os.WriteFile(notJSON, []byte(lines[0]+"\n"+`{"seq": 2, "conn": `+"\n"), 0o644)
	recvOut := filepath.Join(dir, "recv.jsonl")
	os.WriteFile(recvOut, []byte(lines[0]+strings.Replace(lines[5], `"dir":"in"`, `"dir":"out"`, 1)), 0o644)
	cases := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"view"}, 2, "which trace?"},
		{[]string{"view", "a.jsonl", "b.jsonl"}, 2, "one trace at a time"},
		{[]string{"view", "--frobnicate", "a.jsonl"}, 2, "unknown flag --frobnicate"},
		{[]string{"view", "a.jsonl", "-o"}, 2, "-o needs a file"},
		{[]string{"view", "-"}, 2, "reading stdin: say where the page goes with -o"},
		{[]string{"view", filepath.Join(dir, "missing.jsonl")}, 2, "no such file"},
		{[]string{"view", notJSON}, 1, "broken.jsonl: line 3: not JSON"},
		{[]string{"view", recvOut}, 1, `recv.jsonl: line 2: recv: dir must be "in", not "out"`},
		{[]string{"view", filepath.Join(dir, "sub", "x.jsonl")}, 2, "no such file"},
		{[]string{"view", viewFixture, "-o", filepath.Join(dir, "no", "such", "dir.html")}, 1, "no such file"},
	}
	for _, c := range cases {
		r := runCLI(t, c.args...)
		if r.status != c.status || !strings.Contains(r.stderr, c.stderr) || r.stdout != "" {
			t.Errorf("netplay %v: %d, stderr %q, stdout %q; want %d and %q", c.args, r.status, r.stderr, r.stdout, c.status, c.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 { // no page, no temporary file
		t.Errorf("files left in %s: %v", dir, entries)
	}
	if r := runCLI(t, "view", "--help"); r.status != 0 || !strings.HasPrefix(r.stdout, "usage: netplay view FILE") {
		t.Errorf("netplay view --help: %d %q", r.status, r.stdout)
	}
	if r := runCLI(t, "help"); !strings.Contains(r.stdout, "netplay view FILE [-o out.html]") {
		t.Errorf("netplay help does not list view:\n%s", r.stdout)
	}
}

// The README's pictures of the view (docs/part1-recv8.png,
// docs/part2-split3.png) are drawn from real recordings, kept in
// testdata/trace/real with the scripts that made them. This test makes
// nothing again: it checks that each recording follows the schema, was
// made on real sockets (a wall clock, not virtual time), still shows what
// its picture is for, and that netplay view draws it.
func TestRealRecordings(t *testing.T) {
	checks := map[string]func(t *testing.T, events []wiretrace.Event){
		// One 22-byte send, of which one recv(8) takes 8 bytes.
		"part1_recv8.jsonl": func(t *testing.T, events []wiretrace.Event) {
			var chunks []string
			for _, ev := range events {
				if ev.Event == wiretrace.Send || ev.Event == wiretrace.Recv {
					chunks = append(chunks, fmt.Sprintf("%s %q", ev.Event, ev.Data()))
				}
			}
			if want := []string{`send "welcome to the server!"`, `recv "welcome "`}; !slices.Equal(chunks, want) {
				t.Errorf("chunks %q, want %q", chunks, want)
			}
		},
		// Three frames, every write cut into 3-byte pieces, so every read
		// takes 3 bytes or fewer, and each frame arrives over many reads.
		"part2_split3.jsonl": func(t *testing.T, events []wiretrace.Event) {
			var frames []string
			reads := 0
			for _, ev := range events {
				switch {
				case ev.Event == wiretrace.Recv:
					reads++
					if ev.N > 3 {
						t.Errorf("event %d: a read of %d bytes under split=3", ev.Seq, ev.N)
					}
				case ev.Event == wiretrace.Frame && ev.Dir == "in":
					frames = append(frames, string(ev.Data()))
				}
			}
			if len(frames) != 3 || frames[0] != "Welcome to the server!" || !strings.HasPrefix(frames[1], "The time is ") {
				t.Errorf("frames received: %q", frames)
			}
			if reads != 11+13+13 { // frames of 32, 39 and 39 bytes, in 3-byte pieces
				t.Errorf("%d reads, want 37", reads)
			}
		},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "trace", "real", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(checks) {
		t.Errorf("recordings %v, want one for each of %d checks", files, len(checks))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			events, err := wiretrace.ReadJSONL(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			for i, ev := range events {
				if err := wiretrace.Validate(ev); err != nil {
					t.Errorf("event %d: %v", ev.Seq, err)
				}
				if ev.Seq != i+1 {
					t.Errorf("line %d has seq %d", i+1, ev.Seq)
				}
				if ev.Time < 1.7e9 || ev.Cut != 0 {
					t.Errorf("event %d: time %v, cut %d: not a recording on real sockets", ev.Seq, ev.Time, ev.Cut)
				}
			}
			check := checks[name]
			if check == nil {
				t.Fatalf("no check for %s", name)
			}
			check(t, events)

			out := filepath.Join(t.TempDir(), "page.html")
			if r := runCLI(t, "view", file, "-o", out); r.status != 0 {
				t.Fatalf("netplay view %s: %d %q", file, r.status, r.stderr)
			}
			page, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if want := "<title>netplay view: " + name + "</title>"; !strings.Contains(string(page), want) {
				t.Errorf("the page of %s has no %s", name, want)
			}
		})
	}
}

// netplay --view run SCRIPT serves the live page on loopback, named after
// what runs; without its token the page is refused.
func TestViewFlagServesTheLivePage(t *testing.T) {
	s := startSession(t, "viewed", "--view", "run", "part1/server", "127.0.0.1:0")
	s.listening(t)
	s.errOut.waitFor(t, "viewed", "\n")
	m := regexp.MustCompile(`netplay: watch the wire at (http://127\.0\.0\.1:\d+/\S+)\n`).FindStringSubmatch(s.errOut.String())
	if m == nil {
		t.Fatalf("no page address on stderr: %q", s.errOut.String())
	}
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	status, page := get(m[1])
	if status != 200 || !strings.Contains(page, "netplay run part1/server") {
		t.Fatalf("the page: status %d, title %q", status, regexp.MustCompile(`<title>[^<]*</title>`).FindString(page))
	}
	u, _ := neturl.Parse(m[1])
	if status, _ := get("http://" + u.Host + "/"); status == 200 {
		t.Fatal("the page without its token was served")
	}
}
