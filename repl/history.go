package repl

// The history file: one line an entry line, appended as each is entered,
// so a crash or a kill loses nothing; kept to its bound when a session
// starts, never cut below it.

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// historyName is the history file in the user's home.
const historyName = ".netplay_history"

// historyLimit is how many lines the history keeps (liner's bound).
const historyLimit = liner.HistoryLimit

// DefaultHistoryFile is ~/.netplay_history, or "" when there is no home.
func DefaultHistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, historyName)
}

// history is a history file; a zero path keeps none.
type history struct {
	path  string
	limit int
}

func newHistory(path string) *history {
	return &history{path: path, limit: historyLimit}
}

// load returns the last limit lines of the file. A file that has grown
// past its bound (sessions append) is rewritten with exactly those lines,
// through a new file renamed over it, so it is whole at every moment.
func (h *history) load() []string {
	if h.path == "" {
		return nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	f.Close()
	if len(lines) <= h.limit {
		return lines
	}
	lines = lines[len(lines)-h.limit:]
	h.rewrite(lines)
	return lines
}

// rewrite replaces the file with lines.
func (h *history) rewrite(lines []string) {
	tmp, err := os.CreateTemp(filepath.Dir(h.path), historyName+".*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(strings.Join(lines, "\n") + "\n")
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Chmod(tmp.Name(), 0o600) != nil || os.Rename(tmp.Name(), h.path) != nil {
		os.Remove(tmp.Name())
	}
}

// add appends line to the file at once.
func (h *history) add(line string) {
	if h.path == "" || line == "" || strings.ContainsAny(line, "\r\n") {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	f.WriteString(line + "\n")
	f.Close()
}

// linesReader reads lines as a history file holds them.
func linesReader(lines []string) *strings.Reader {
	return strings.NewReader(strings.Join(lines, "\n") + "\n")
}
