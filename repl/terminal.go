package repl

// The terminal: liner reads lines with editing, history and completion.

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// historyName is the history file in the user's home.
const historyName = ".netplay_history"

// DefaultHistoryFile is ~/.netplay_history, or "" when there is no home.
func DefaultHistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, historyName)
}

// IsTerminal reports whether the REPL should use the line editor: in and
// out are both terminals and the terminal type supports editing (liner
// refuses "dumb" ones). Otherwise it reads plain lines.
func IsTerminal(in io.Reader, out io.Writer) bool {
	fi, ok := in.(*os.File)
	fo, ok2 := out.(*os.File)
	return ok && ok2 && term.IsTerminal(int(fi.Fd())) && term.IsTerminal(int(fo.Fd())) && liner.TerminalSupported()
}

// termReader reads lines with liner on the process's terminal (liner
// always uses os.Stdin and os.Stdout). The history is bounded by liner
// (liner.HistoryLimit, 1000 lines).
type termReader struct {
	st          *liner.State
	screen      *screen
	historyFile string
	// cooked is the terminal's own mode (echo, line editing by the
	// terminal, Ctrl-C as SIGINT), which entries run in, so io.read in
	// an entry reads a line as any program would; editing is liner's
	// mode, which prompts run in.
	cooked, editing liner.ModeApplier
}

// newTermReader puts the terminal in liner's mode and loads the history.
// complete completes the word before the cursor.
func newTermReader(scr *screen, historyFile string, complete liner.WordCompleter) *termReader {
	cooked, _ := liner.TerminalMode()
	st := liner.NewLiner()
	editing, _ := liner.TerminalMode()
	st.SetCtrlCAborts(true)
	st.SetTabCompletionStyle(liner.TabPrints)
	st.SetWordCompleter(complete)
	t := &termReader{st: st, screen: scr, historyFile: historyFile, cooked: cooked, editing: editing}
	t.apply(t.cooked)
	if historyFile != "" {
		if f, err := os.Open(historyFile); err == nil {
			st.ReadHistory(f)
			f.Close()
		}
	}
	return t
}

func (t *termReader) readLine(prompt string) (string, error) {
	t.apply(t.editing)
	t.screen.setPrompting(true)
	line, err := t.st.Prompt(prompt)
	t.screen.setPrompting(false)
	t.apply(t.cooked)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errPromptInterrupted
	}
	return line, err
}

func (t *termReader) addHistory(line string) {
	t.st.AppendHistory(line)
}

// apply sets the terminal's mode, when it is known.
func (t *termReader) apply(m liner.ModeApplier) {
	if m != nil {
		m.ApplyMode()
	}
}

// close writes the history file and restores the terminal.
func (t *termReader) close() error {
	var err error
	if t.historyFile != "" {
		err = t.saveHistory()
	}
	if cerr := t.st.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *termReader) saveHistory() error {
	f, err := os.OpenFile(t.historyFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := t.st.WriteHistory(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
