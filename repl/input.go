package repl

// Reading lines: from a pipe (plain lines, no prompt, no escape codes) or
// from a terminal (liner; terminal.go).

import (
	"context"
	"errors"
	"io"
	"strings"

	"netplay/runtime/host"
)

// errPromptInterrupted: Ctrl-C was pressed at the prompt.
var errPromptInterrupted = errors.New("prompt interrupted")

// lineReader reads the lines the entries are made of.
type lineReader interface {
	// readLine shows prompt (on a terminal) and returns the next line,
	// without its end of line. At the end of the input it returns io.EOF;
	// Ctrl-C at a terminal prompt gives errPromptInterrupted.
	readLine(prompt string) (string, error)
	// addHistory records a line the user entered.
	addHistory(line string)
	// close saves the history and gives the terminal back.
	close() error
}

// pipeReader reads plain lines, so sessions can be driven by a program and
// their output diffed. It reads the host's standard input, which io.read
// in an entry shares: an entry that reads a line gets the next line of the
// session.
type pipeReader struct {
	in  *host.Stdin
	ctx context.Context // ends a read when the session ends
	// echo, if set, hears each line with its prompt, so a transcript reads
	// like the session at a terminal.
	echo io.Writer
}

func newPipeReader(ctx context.Context, in *host.Stdin, echo io.Writer) *pipeReader {
	return &pipeReader{in: in, ctx: ctx, echo: echo}
}

func (p *pipeReader) readLine(prompt string) (string, error) {
	line, err := p.in.ReadLine(p.ctx, false)
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r")
	if p.echo != nil {
		io.WriteString(p.echo, prompt+line+"\n")
	}
	return line, nil
}

func (p *pipeReader) addHistory(string) {}

func (p *pipeReader) close() error { return nil }
