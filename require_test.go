package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netplay/runtime/luatest"
)

// writeFiles creates files (slash-separated paths) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A script finds modules in its own folder, wherever it is run from, and
// so does a module: mylib.lua next to mything.lua, sub/helper.lua, which
// requires sibling.lua next to itself, and pkg/init.lua.
func TestRequireFindsModulesNextToTheScript(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"mything.lua":     "local lib = require('mylib')\nprint(lib.name, require('sub.helper').name, require('pkg').name)\nprint(require('mylib') == lib)\n",
		"mylib.lua":       "return {name = 'mylib from ' .. ...}\n",
		"sub/helper.lua":  "return {name = 'helper with ' .. require('sibling')}\n",
		"sub/sibling.lua": "return 'its sibling'\n",
		"pkg/init.lua":    "return {name = 'pkg/init'}\n",
	})
	want := "mylib from mylib\thelper with its sibling\tpkg/init\ntrue\n"
	for _, args := range [][]string{
		{"run", filepath.Join(dir, "mything.lua")},
		{filepath.Join(dir, "mything")},
		{"-e", "run('" + filepath.Join(dir, "mything.lua") + "')"},
	} {
		r := runCLI(t, args...)
		if r.status != exitOK || r.stdout != want || r.stderr != "" {
			t.Fatalf("%v: status %d\nstdout %q\nwant   %q\nstderr %s", args, r.status, r.stdout, want, r.stderr)
		}
	}
}

// Bundled modules are found from anywhere, the REPL included.
func TestRequireBundledModules(t *testing.T) {
	r := runCLI(t, "-e", `print(type(require("protocols.resp").connect), type(require("protocols.http").get))`)
	if r.status != exitOK || r.stdout != "function\tfunction\n" || r.stderr != "" {
		t.Fatalf("status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut luatest.Buffer
	status := Main(ctx, nil, Stdio{In: strings.NewReader("resp = require('protocols.resp')\nprint(resp.encode({'PING'}))\n"), Out: &out, Err: &errOut})
	if status != exitOK || out.String() != "*1\r\n$4\r\nPING\r\n\n" || errOut.String() != "" {
		t.Fatalf("REPL: status %d stdout %q stderr %q", status, out.String(), errOut.String())
	}
}

// NETPLAY_PATH adds folders, searched before the bundled modules (a real
// file wins over a bundled one of the same name).
func TestRequireNetplayPath(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{"extra.lua": "return {name = 'extra from a'}\n"})
	writeFiles(t, b, map[string]string{"protocols/resp.lua": "return {mine = true}\n", "tool/init.lua": "return 'tool from b'\n"})
	t.Setenv("NETPLAY_PATH", a+string(os.PathListSeparator)+b)
	r := runCLI(t, "-e", `print(require("extra").name, require("protocols.resp").mine, require("tool"))`)
	if r.status != exitOK || r.stdout != "extra from a\ttrue\ttool from b\n" || r.stderr != "" {
		t.Fatalf("status %d stdout %q stderr %q", r.status, r.stdout, r.stderr)
	}
}

// A module that is nowhere: the error says where require looked.
func TestRequireMissingModuleSaysWhereItLooked(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"main.lua": "require('nosuch')\n"})
	r := runCLI(t, "run", filepath.Join(dir, "main.lua"))
	for _, want := range []string{
		"module nosuch not found:",
		"no field package.preload['nosuch']",
		"no file '" + filepath.Join(dir, "nosuch.lua") + "'",
		"no file '" + filepath.Join(dir, "nosuch", "init.lua") + "'",
		"./nosuch.lua",
		"no bundled file 'nosuch.lua'",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.status != exitError {
		t.Fatalf("status %d", r.status)
	}
}
