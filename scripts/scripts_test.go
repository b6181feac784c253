package scripts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenResolvesNames(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "part1"), 0o755)
	os.WriteFile(filepath.Join(dir, "part1", "client.lua"), []byte("-- mine\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "plain"), []byte("-- no suffix\n"), 0o644)
	cases := []struct {
		name, chunk, firstLine string
	}{
		{"part1/server", "part1/server.lua", "-- Part I.1"},
		{"part1/server.lua", "part1/server.lua", "-- Part I.1"},
		{"./part1/server", "part1/server.lua", "-- Part I.1"},
		{"tour", "tour.lua", "-- The guided tour"},
		{"part1/client", "part1/client.lua", "-- mine"}, // a real file wins
		{"part1/client.lua", "part1/client.lua", "-- mine"},
		{"plain", "plain", "-- no suffix"},
	}
	for _, c := range cases {
		chunk, src, err := OpenIn(dir, c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !strings.HasSuffix(chunk, c.chunk) || !strings.HasPrefix(string(src), c.firstLine) {
			t.Errorf("%s: chunk %q src %.20q; want %q %q", c.name, chunk, src, c.chunk, c.firstLine)
		}
	}
	if _, _, err := OpenIn(dir, "part9/nothing"); !errors.Is(err, ErrNotFound) || err.Error() != "part9/nothing: no such file or bundled script" {
		t.Errorf("missing: %v", err)
	}
}

func TestEveryScriptHasASummary(t *testing.T) {
	entries := List()
	if len(entries) < 6 {
		t.Fatalf("only %d bundled scripts", len(entries))
	}
	for _, e := range entries {
		if e.Summary == "" {
			t.Errorf("%s: first line is not a -- comment", e.Name)
		}
	}
}

// netplay list walks the series in order: the tour, the four parts, UDP,
// TLS, the protocols, the benchmarks; every bundled script is in one group.
func TestGroupsFollowTheSeries(t *testing.T) {
	var titles []string
	n := 0
	for _, g := range Groups() {
		titles = append(titles, strings.SplitN(g.Title, ":", 2)[0])
		n += len(g.Entries)
	}
	want := []string{"Start here", "Part I", "Part II", "Part III", "Part IV", "UDP", "TLS", "Protocols", "Benchmarks"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Fatalf("groups %q, want %q", titles, want)
	}
	if n != len(List()) {
		t.Fatalf("%d scripts in groups, %d bundled", n, len(List()))
	}
}
