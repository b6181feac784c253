package lualib_test

import (
	"strings"
	"testing"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
)

// lualib.API, the table :help prints and the README's API tables are
// checked against, documents every function and method registered, and
// nothing that is not.
func TestAPIDocumentsEveryFunction(t *testing.T) {
	h, err := lualib.NewHost(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	undocumented, unknown := lualib.CheckAPI(h.L)
	if len(undocumented) > 0 {
		t.Errorf("lualib.API lacks: %s", strings.Join(undocumented, ", "))
	}
	if len(unknown) > 0 {
		t.Errorf("lualib.API documents what is not registered: %s", strings.Join(unknown, ", "))
	}
}

func TestParseSig(t *testing.T) {
	cases := []struct{ sig, callee string }{
		{"socket.connect(addr[, timeout])", "socket.connect"},
		{"s:recv(n)", "s:recv"},
		{"spawn(fn, ...)", "spawn"},
		{"frame.new{encode = fn, decode = fn[, name = s]}", "frame.new"},
		{"trace(true or false)", "trace"},
		{"f.sock", ""},
		{"json.null", ""},
	}
	for _, c := range cases {
		if got := lualib.Callee(c.sig); got != c.callee {
			t.Errorf("Callee(%q) = %q, want %q", c.sig, got, c.callee)
		}
	}
}

// Every doc's module is one :help can list, and no callee is documented twice.
func TestAPIDocsAreWellFormed(t *testing.T) {
	modules := map[string]bool{}
	for _, m := range lualib.Modules {
		modules[m.Name] = true
	}
	seen := map[string]bool{}
	for _, d := range lualib.API {
		c := lualib.Callee(d.Sig)
		switch {
		case c == "":
			t.Errorf("%q calls nothing", d.Sig)
		case seen[c]:
			t.Errorf("%s is documented twice", c)
		case !modules[d.Module]:
			t.Errorf("%q is listed under %q, which is no module", d.Sig, d.Module)
		case d.Does == "" || strings.Contains(d.Does, "\n"):
			t.Errorf("%q: the description must be one line", d.Sig)
		}
		seen[c] = true
	}
}
