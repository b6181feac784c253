package lualib

// Where require finds modules. Lua's own loaders stay (package.preload,
// then package.path); netplay adds two and extends the path:
//
//	package.loaders[1]  package.preload (netplay's modules: socket, frame, ...)
//	package.loaders[2]  the folder of the script that calls require: a
//	                    script's own folder is on the module path, so
//	                    require("mylib") next to mything.lua finds mylib.lua
//	package.loaders[3]  package.path: the folders of NETPLAY_PATH first,
//	                    then LUA_PATH or Lua's default ("./?.lua;...")
//	package.loaders[4]  the bundled modules: require("protocols.resp") from
//	                    any folder and from the REPL
//
// A real file wins over a bundled one of the same name, as for scripts.

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/scripts"
)

// PathEnv names the environment variable of extra module folders,
// separated as in PATH (":" on Unix).
const PathEnv = "NETPLAY_PATH"

// installRequire puts the script-folder and bundled loaders around Lua's
// path loader and prepends the NETPLAY_PATH folders to package.path.
func installRequire(L *lua.LState) {
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return
	}
	if extra := netplayPath(os.Getenv(PathEnv)); extra != "" {
		if cur, ok := pkg.RawGetString("path").(lua.LString); ok && cur != "" {
			extra += ";" + string(cur)
		}
		pkg.RawSetString("path", lua.LString(extra))
	}
	loaders, ok := pkg.RawGetString("loaders").(*lua.LTable)
	if !ok {
		return
	}
	// Lua's: preload, path. netplay's: preload, script folder, path, bundled.
	preload, luaPath := loaders.RawGetInt(1), loaders.RawGetInt(2)
	out := L.CreateTable(4, 0)
	out.Append(preload)
	out.Append(L.NewFunction(loadFromScriptFolder))
	out.Append(luaPath)
	out.Append(L.NewFunction(loadBundled))
	pkg.RawSetString("loaders", out)
}

// netplayPath turns NETPLAY_PATH ("dir1:dir2") into package.path
// templates ("dir1/?.lua;dir1/?/init.lua;dir2/?.lua;..."). An entry that
// already holds a "?" is taken as a template as it is.
func netplayPath(env string) string {
	var parts []string
	for _, dir := range filepath.SplitList(env) {
		switch {
		case dir == "":
		case strings.Contains(dir, "?"):
			parts = append(parts, dir)
		default:
			parts = append(parts, filepath.Join(dir, "?.lua"), filepath.Join(dir, "?", "init.lua"))
		}
	}
	return strings.Join(parts, ";")
}

// moduleFiles are the files that may hold module name, relative to a
// folder: "a.b" is a/b.lua or a/b/init.lua.
func moduleFiles(name string) []string {
	p := strings.ReplaceAll(name, ".", "/")
	return []string{p + ".lua", p + "/init.lua"}
}

// callerChunk is the chunk name of the innermost Lua function on L's
// stack (the one that called require), or "".
func callerChunk(L *lua.LState) string {
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		if _, err := L.GetInfo("S", dbg, lua.LNil); err != nil {
			continue
		}
		if dbg.What != "G" && dbg.Source != "" {
			return dbg.Source
		}
	}
}

// loadFromScriptFolder is the loader for modules next to the calling
// script: a real file's folder on disk, or a bundled script's folder among
// the bundled ones. It returns the module's chunk, or a message saying
// where it looked.
func loadFromScriptFolder(L *lua.LState) int {
	name := L.CheckString(1)
	chunk := callerChunk(L)
	if chunk == "" {
		L.Push(lua.LString("no script folder (require called outside a script file)"))
		return 1
	}
	dir := path.Dir(filepath.ToSlash(chunk))
	if fi, err := os.Stat(chunk); err == nil && !fi.IsDir() {
		var tried []string
		for _, f := range moduleFiles(name) {
			p := filepath.Join(filepath.FromSlash(dir), filepath.FromSlash(f))
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return pushModuleFile(L, p)
			}
			tried = append(tried, "no file '"+p+"'")
		}
		L.Push(lua.LString(strings.Join(tried, "\n\t")))
		return 1
	}
	if _, err := fs.Stat(scripts.FS, chunk); err == nil {
		return loadBundledFrom(L, dir, name)
	}
	L.Push(lua.LString("no script folder (" + chunk + " is not a script file)"))
	return 1
}

// loadBundled is the loader of the bundled modules ("protocols.resp" is
// the bundled protocols/resp.lua).
func loadBundled(L *lua.LState) int {
	return loadBundledFrom(L, ".", L.CheckString(1))
}

// loadBundledFrom looks for module name among the bundled files, under
// folder dir.
func loadBundledFrom(L *lua.LState, dir, name string) int {
	var tried []string
	for _, f := range moduleFiles(name) {
		p := path.Join(dir, f)
		src, err := scripts.FS.ReadFile(p)
		if err == nil {
			fn, err := L.Load(strings.NewReader(string(src)), p)
			if err != nil {
				L.RaiseError("error loading module '%s' from bundled %s:\n\t%s", name, p, err.Error())
			}
			L.Push(fn)
			return 1
		}
		tried = append(tried, "no bundled file '"+p+"'")
	}
	L.Push(lua.LString(strings.Join(tried, "\n\t")))
	return 1
}

// pushModuleFile compiles the module file at p and pushes its chunk.
func pushModuleFile(L *lua.LState, p string) int {
	fn, err := L.LoadFile(p)
	if err != nil {
		L.RaiseError("error loading module '%s' from file '%s':\n\t%s", L.CheckString(1), p, err.Error())
	}
	L.Push(fn)
	return 1
}
