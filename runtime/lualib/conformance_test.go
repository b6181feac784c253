package lualib_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
	"netplay/scripts"
)

// The official Lua 5.1 test suite, from the _lua5.1-tests folder of the
// original gopher-lua module (go.mod replaces it with third_party's copy,
// which leaves the suite out), run under netplay's real host as `netplay
// run FILE` runs a script, with a copy of the suite's folder as the working
// directory.
//
// The first 13 are the files gopher-lua's own CI runs; the rest pass once
// netplay's patches are in. The other files of the suite cannot pass:
//
//	all.lua, main.lua  drivers: all.lua runs the others, main.lua the lua
//	                   binary; both start with a "#" line
//	big.lua            yields from its main chunk (all.lua runs it in a
//	                   coroutine) and wants Lua's "string length overflow"
//	db.lua             debug.getinfo and hooks as C Lua has them
//	errors.lua         C Lua's syntax error texts, 'quoted' names in
//	                   "bad argument" errors, collectgarbage options
//	gc.lua             gcinfo, weak tables, __gc
//	nextvar.lua        table.foreach, table.foreachi, table.maxn of
//	                   non-integer keys
//	checktable.lua     not a test: a helper the others require
var conformanceFiles = []string{
	"attrib.lua", "calls.lua", "closure.lua", "constructs.lua", "events.lua",
	"literals.lua", "locals.lua", "math.lua", "sort.lua", "strings.lua",
	"vararg.lua", "pm.lua", "files.lua",
	"verybig.lua", // a 100,000-value table literal: PATCHES.md 11 and 12
	// api.lua and code.lua need the C test library T; without it they say
	// so and return: they load and run, and so they are here.
	"api.lua", "code.lua",
}

// conformanceEnv makes the test binary run one file of the suite in its
// working directory, as `netplay run FILE` does, and exit with its status.
const conformanceEnv = "NETPLAY_LUA51_TEST"

// conformanceTimeout bounds each file (constructs.lua compiles thousands
// of chunks: seconds, tens of seconds under the race detector).
const conformanceTimeout = 3 * time.Minute

func init() {
	if file := os.Getenv(conformanceEnv); file != "" {
		os.Exit(runLikeNetplay(file))
	}
}

// runLikeNetplay runs a script file as cli.go's runScript does: a host
// with every module and the bundled scripts, arg set, the file as the main
// task; 0 when it and every task it started succeeded.
func runLikeNetplay(file string) int {
	h, err := lualib.NewHost(host.Options{Stdout: os.Stdout, Stderr: os.Stderr, OpenScript: scripts.Open})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer h.Close()
	chunk, src, err := scripts.Open(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fn, err := h.L.Load(bytes.NewReader(src), chunk)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := lualib.SetArg(h.L, file, nil)
	main := h.Spawn(fn, args, host.SpawnOptions{Name: "main", ErrorPrefix: "netplay"})
	<-main.Done()
	h.Wait(context.Background())
	if _, err := main.Result(); err != nil || h.Failed() {
		return 1
	}
	return 0
}

func TestLua51Conformance(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(lua51Suite(t))); err != nil {
		t.Fatal(err)
	}
	// The module cache is read-only, and so is the copy; the suite writes
	// files (attrib.lua its modules under libs/).
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			mode := os.FileMode(0o644)
			if d.IsDir() {
				mode = 0o755
			}
			err = os.Chmod(p, mode)
		}
		return err
	})
	for _, file := range conformanceFiles {
		t.Run(file, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), conformanceTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), conformanceEnv+"="+file)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("%s still running after %v:\n%s", file, conformanceTimeout, out)
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", file, err, out)
			}
		})
	}
}

// lua51Suite is the folder of the Lua 5.1 test suite in the original
// gopher-lua module, downloaded into the module cache when missing.
func lua51Suite(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", "github.com/yuin/gopher-lua@v1.1.2").Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("%v: %s", err, exit.Stderr)
	}
	if err != nil {
		t.Fatalf("go mod download github.com/yuin/gopher-lua@v1.1.2: %v", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v in %s", err, out)
	}
	return filepath.Join(mod.Dir, "_lua5.1-tests")
}
