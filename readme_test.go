package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/runtime/testrunner"
)

// The README's Lua API reference stays in step with the code: every
// module function (those of test files included) and every method of
// every userdata type is documented.
func TestReadmeDocumentsTheLuaAPI(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	h, err := testrunner.NewHost(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var missing []string
	for _, m := range append(append([]host.Module{}, lualib.Modules...), testrunner.Modules...) {
		mod, ok := h.L.GetGlobal(m.Name).(*lua.LTable)
		if !ok {
			t.Fatalf("module %s is not a global table", m.Name)
		}
		mod.ForEach(func(k, v lua.LValue) {
			if v.Type() != lua.LTFunction {
				return
			}
			name := m.Name + "." + k.String()
			short := regexp.MustCompile("`" + regexp.QuoteMeta(k.String()) + `\(`)
			if !strings.Contains(doc, "`"+name) && !(contains(m.Globals, k.String()) && short.MatchString(doc)) {
				missing = append(missing, name)
			}
		})
	}
	methods := map[string]string{
		lualib.SocketTypeName: "__index", lualib.TaskTypeName: "__index", lualib.TimerTypeName: "__index",
		lualib.CodecTypeName: "__index", lualib.FramedTypeName: "methods", lualib.PeerTypeName: "methods",
	}
	for typ, field := range methods {
		mt := h.L.GetTypeMetatable(typ).(*lua.LTable)
		mt.RawGetString(field).(*lua.LTable).ForEach(func(k, _ lua.LValue) {
			if !regexp.MustCompile(`\w:` + regexp.QuoteMeta(k.String()) + `\(`).MatchString(doc) {
				missing = append(missing, typ+":"+k.String())
			}
		})
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("README.md does not document: %s", strings.Join(missing, ", "))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
