package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/testrunner"
)

// The README's Lua API tables are lualib.API, both ways: each signature
// in the first column of a table of the "Lua API" section is one of
// lualib.API's, written the same, and each of lualib.API's is in a table
// (so deleting a row, or renaming a function in one place only, fails).
// lualib.API itself must document every registered function and method
// and nothing else (lualib.CheckAPI), so the tables and the code agree.
func TestReadmeAPITablesAreTheAPI(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := apiTableSignatures(t, string(readme))
	docs := map[string]string{} // callee -> signature
	for _, d := range lualib.API {
		docs[lualib.Callee(d.Sig)] = d.Sig
	}
	inReadme := map[string]bool{}
	for _, sig := range rows {
		callee := lualib.Callee(sig)
		if callee == "" {
			continue // a field: f.sock, json.null
		}
		inReadme[sig] = true
		switch want, ok := docs[callee]; {
		case !ok:
			t.Errorf("README row `%s`: no such function or method (not in lualib.API)", sig)
		case want != sig:
			t.Errorf("README row `%s`: lualib.API writes it `%s`", sig, want)
		}
	}
	for _, d := range lualib.API {
		if !inReadme[d.Sig] {
			t.Errorf("README has no row for `%s` (%s)", d.Sig, d.Module)
		}
	}
	h, err := testrunner.NewHost(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	undocumented, unknown := lualib.CheckAPI(h.L)
	for _, name := range undocumented {
		t.Errorf("%s is registered but documented nowhere", name)
	}
	for _, sig := range unknown {
		t.Errorf("`%s` is documented but not registered", sig)
	}
}

// apiTableSignatures returns the code spans in the first column of every
// table row of the README's "Lua API" section.
func apiTableSignatures(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Lua API\n")
	if !ok {
		t.Fatal("README.md has no ## Lua API section")
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	span := regexp.MustCompile("`([^`]+)`")
	var sigs []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(line[2:], " | ")
		for _, m := range span.FindAllStringSubmatch(first, -1) {
			sigs = append(sigs, m[1])
		}
	}
	if len(sigs) < 50 {
		t.Fatalf("found only %d signatures in the API tables: is the section's layout changed?", len(sigs))
	}
	return sigs
}

// The README's REPL tutorial is the text :help tutorial prints (and
// repl's TestTutorialRunsAsWritten runs), word for word.
func TestReadmeHasTheREPLTutorial(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tutorial, err := os.ReadFile("repl/tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimSpace(string(tutorial))) {
		t.Fatal("README.md does not hold repl/tutorial.md as it is: copy it over")
	}
}
