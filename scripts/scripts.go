// Package scripts holds the bundled Lua scripts (the tutorial stages, the
// tour and the examples), embedded in the binary so `netplay run
// part1/server` works from any folder.
package scripts

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// FS is every bundled script.
//
//go:embed *.lua part1/*.lua part2/*.lua part3/*.lua part4/*.lua udp/*.lua tls/*.lua protocols/*.lua bench/*.lua
var FS embed.FS

// ErrNotFound: neither a file nor a bundled script has that name.
var ErrNotFound = errors.New("no such file or bundled script")

// Open resolves name to a chunk name and its source: a real file of that
// name (or with ".lua" added) wins; otherwise the bundled script
// ("part1/server" or "part1/server.lua").
func Open(name string) (chunk string, src []byte, err error) {
	return OpenIn("", name)
}

// OpenIn is Open with real files looked up relative to dir ("" is the
// current folder), their chunk names joined to dir: netplay test runs a
// test file's run("server.lua") from the test file's folder.
func OpenIn(dir, name string) (chunk string, src []byte, err error) {
	for _, p := range candidates(name) {
		if src, err := os.ReadFile(filepath.Join(dir, p)); err == nil {
			if dir != "" {
				p = filepath.Join(dir, p)
			}
			return p, src, nil
		} else if !errors.Is(err, fs.ErrNotExist) && !isDir(filepath.Join(dir, p)) {
			return "", nil, err
		}
	}
	for _, p := range candidates(path.Clean(strings.TrimPrefix(name, "./"))) {
		if src, err := FS.ReadFile(p); err == nil {
			return p, src, nil
		}
	}
	return "", nil, fmt.Errorf("%s: %w", name, ErrNotFound)
}

func candidates(name string) []string {
	if strings.HasSuffix(name, ".lua") {
		return []string{name}
	}
	return []string{name, name + ".lua"}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Entry is one bundled script and what it shows.
type Entry struct {
	Name    string // as given to `netplay run`, without ".lua"
	Summary string // the script's first comment line
}

// List returns the bundled scripts, sorted by name; their tests
// (*_test.lua, embedded with them) are not scripts to run.
func List() []Entry {
	var out []Entry
	fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".lua") || strings.HasSuffix(p, "_test.lua") {
			return err
		}
		out = append(out, Entry{Name: strings.TrimSuffix(p, ".lua"), Summary: summary(p)})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Group is the bundled scripts of one folder, under the title netplay
// list shows them with.
type Group struct {
	Title   string
	Entries []Entry
}

// groupTitles are the folders in the order the series walks them (the
// README's order), with what each holds. "" is the top folder.
var groupTitles = []struct{ dir, title string }{
	{"", "Start here"},
	{"part1", "Part I: sockets; TCP is a stream of bytes (seed section I)"},
	{"part2", "Part II: messages behind a 10-byte length header (seed section II)"},
	{"part3", "Part III: objects, as JSON in header frames"},
	{"part4", "Part IV: a chat room; tasks, queues and the keyboard at once"},
	{"udp", "UDP: datagrams keep their boundaries and can be lost"},
	{"tls", "TLS: the same bytes, encrypted (Go's crypto/tls)"},
	{"protocols", "Protocols: real ones (Redis, HTTP) and your own (kv)"},
	{"bench", "Benchmarks: servers to load-test with netplay bench"},
}

// Groups returns the bundled scripts by folder, in the series' order; a
// folder without a title comes last, titled by its name.
func Groups() []Group {
	byDir := map[string][]Entry{}
	for _, e := range List() {
		dir := path.Dir(e.Name)
		if dir == "." {
			dir = ""
		}
		byDir[dir] = append(byDir[dir], e)
	}
	var out []Group
	for _, g := range groupTitles {
		if entries := byDir[g.dir]; len(entries) > 0 {
			out = append(out, Group{Title: g.title, Entries: entries})
			delete(byDir, g.dir)
		}
	}
	var rest []string
	for dir := range byDir {
		rest = append(rest, dir)
	}
	sort.Strings(rest)
	for _, dir := range rest {
		out = append(out, Group{Title: dir, Entries: byDir[dir]})
	}
	return out
}

// summary is the text of the script's first line when it is a comment.
func summary(p string) string {
	f, err := FS.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "--"); ok {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
