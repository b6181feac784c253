package traceview

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"strings"

	"netplay/runtime/wiretrace"
)

// The page: HTML with the CSS, the script and the model put inline, so
// the file works offline, alone, opened from disk or mailed around. The
// Content-Security-Policy in it forbids loading anything from elsewhere.
var (
	//go:embed page.html
	pageHTML string
	//go:embed page.css
	pageCSS string
	//go:embed page.js
	pageJS string
)

// pageParts is the page cut at the places where the title, the CSS, the
// model and the script go.
var pageParts = func() []string {
	var parts []string
	rest := pageHTML
	for _, mark := range []string{"<!--TITLE-->", "<!--CSS-->", "<!--TITLE-->", "<!--MODEL-->", "<!--JS-->"} {
		before, after, ok := strings.Cut(rest, mark)
		if !ok {
			panic("traceview: page.html has no " + mark)
		}
		parts = append(parts, before)
		rest = after
	}
	return append(parts, rest)
}()

// FileTitle is the title of the page of the trace file name, as netplay
// view gives it: "netplay view: part1.jsonl". The page names the file,
// so a screenshot or a printed page says which session it shows.
func FileTitle(name string) string {
	return "netplay view: " + filepath.Base(name)
}

// Render writes the page of a whole trace to w.
func Render(w io.Writer, events []wiretrace.Event, opts Options) error {
	return writePage(w, Build(events, opts))
}

// writePage writes the page with m as the picture it starts from.
func writePage(w io.Writer, m *Model) error {
	// json.Marshal writes <, > and & as \u003c and so on: the model
	// cannot end its <script> element, whatever the trace holds.
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("traceview: %v", err)
	}
	title := html.EscapeString(m.Title)
	for _, s := range []string{pageParts[0], title, pageParts[1], pageCSS, pageParts[2], title, pageParts[3], string(data), pageParts[4], pageJS, pageParts[5]} {
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}
