package repl

// Tab completion: globals and keywords, `mod.` fields and `obj:` methods
// (fields of fields too: fs.sock:), the REPL's :commands, and file names
// and bundled scripts after :load.
//
// Values are looked up with raw reads and by walking metatables' __index
// tables only (and, for framed sockets, their fields sock and codec):
// completing never runs Lua code. Names that start with "__" (metatable
// internals) are not offered.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/lualib"
	"netplay/scripts"
)

// indexChainMax bounds how many __index tables a lookup follows.
const indexChainMax = 8

// complete is liner's word completer: it completes the word before the
// cursor with the interpreter lock held (tasks keep running around it).
func (r *REPL) complete(line string, pos int) (head string, words []string, tail string) {
	if head, words, tail, ok := completeCommand(line, pos); ok {
		return head, words, tail
	}
	r.h.Lock()
	defer r.h.Unlock()
	return completeWord(r.h.L, line, pos)
}

// completeCommand completes a command line: the command's name after
// ":", a file or bundled script after :load. ok is false for a line of
// Lua.
func completeCommand(line string, pos int) (head string, words []string, tail string, ok bool) {
	runes := []rune(line)
	if pos < 0 || pos > len(runes) {
		pos = len(runes)
	}
	before, tail := string(runes[:pos]), string(runes[pos:])
	trimmed := strings.TrimLeft(before, " \t")
	if !isCommand(trimmed) {
		return "", nil, "", false
	}
	indent := before[:len(before)-len(trimmed)]
	name, arg, hasArg := strings.Cut(trimmed[1:], " ")
	if !hasArg {
		var out []string
		for _, c := range withPrefix(commands, name) {
			out = append(out, ":"+c+" ")
		}
		return indent, out, tail, true
	}
	if (name == "load" || name == "l") && !strings.Contains(strings.TrimLeft(arg, " "), " ") {
		word := strings.TrimLeft(arg, " ")
		return before[:len(before)-len(word)], completePath(word), tail, true
	}
	return before, nil, tail, true
}

// completePath lists the files and folders (with a "/") whose path starts
// with word, and the bundled scripts whose name does.
func completePath(word string) []string {
	dir, base := filepath.Split(word)
	list := dir
	if list == "" {
		list = "."
	}
	var out []string
	if entries, err := os.ReadDir(list); err == nil {
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
				continue
			}
			if e.IsDir() {
				name += "/"
			}
			out = append(out, dir+name)
		}
	}
	for _, e := range scripts.List() {
		if strings.HasPrefix(e.Name, word) {
			out = append(out, e.Name)
		}
	}
	return withPrefix(out, word)
}

// completeWord returns the line before the word being completed, the
// candidates for that word, and the line after the cursor. The word is a
// global name, or the field after `a.b.` (tables, modules), or the method
// after `obj:` (sockets, framed sockets, tasks, timers, strings: whatever
// the value's metatable offers through __index).
func completeWord(L *lua.LState, line string, pos int) (head string, words []string, tail string) {
	runes := []rune(line)
	if pos < 0 || pos > len(runes) {
		pos = len(runes)
	}
	start := pos
	for start > 0 && isPathRune(runes[start-1]) {
		start--
	}
	expr := string(runes[start:pos])
	head, tail = string(runes[:start]), string(runes[pos:])
	if expr != "" && expr[0] >= '0' && expr[0] <= '9' {
		return head, nil, tail // a number
	}
	cut := strings.LastIndexAny(expr, ".:")
	if cut < 0 {
		return head, withPrefix(globalNames(L), expr), tail
	}
	path, sep, partial := expr[:cut], expr[cut], expr[cut+1:]
	v, ok := lookupPath(L, path)
	if !ok {
		return head, nil, tail
	}
	names := fieldNames(L, v)
	if sep == ':' {
		names = methodNames(L, v)
	}
	return head + expr[:cut+1], withPrefix(names, partial), tail
}

// isPathRune: the runes of a completable expression such as sock:re or
// socket.con.
func isPathRune(r rune) bool {
	return r == '_' || r == '.' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// withPrefix returns the sorted, distinct names that start with prefix,
// without metatable internals (__index) unless prefix asks for them.
func withPrefix(names []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "__") && !strings.HasPrefix(prefix, "__") {
			continue
		}
		if strings.HasPrefix(n, prefix) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// globalNames lists the globals and the keywords.
func globalNames(L *lua.LState) []string {
	names := fieldNames(L, L.Get(lua.GlobalsIndex))
	return append(names, luaKeywords...)
}

// lookupPath resolves a dotted path of names (socket, a.b.c) from the
// globals without running any metamethod.
func lookupPath(L *lua.LState, path string) (lua.LValue, bool) {
	v := L.Get(lua.GlobalsIndex)
	for _, name := range strings.Split(path, ".") {
		if !isName(name) {
			return lua.LNil, false
		}
		v = rawField(L, v, name)
		if v == lua.LNil {
			return lua.LNil, false
		}
	}
	return v, true
}

// rawField reads v[name] from v itself (a table) or along its __index
// tables, or a framed socket's field (sock, codec).
func rawField(L *lua.LState, v lua.LValue, name string) lua.LValue {
	if f, ok := lualib.Fields(v)[name]; ok {
		return f
	}
	for _, t := range indexChain(L, v) {
		if f := t.RawGetString(name); f != lua.LNil {
			return f
		}
	}
	return lua.LNil
}

// indexChain lists the tables a lookup in v goes through: v itself when it
// is a table, then each metatable's __index while that is a table. A
// metatable whose __index is a function may list its methods in a
// "methods" table (framed sockets do), which is used instead.
func indexChain(L *lua.LState, v lua.LValue) []*lua.LTable {
	var chain []*lua.LTable
	for i := 0; i < indexChainMax; i++ {
		if t, ok := v.(*lua.LTable); ok {
			chain = append(chain, t)
		}
		mt, ok := L.GetMetatable(v).(*lua.LTable)
		if !ok {
			break
		}
		next := mt.RawGetString("__index")
		if _, ok := next.(*lua.LTable); !ok {
			if methods, ok := mt.RawGetString("methods").(*lua.LTable); ok {
				chain = append(chain, methods)
			}
			break
		}
		v = next
	}
	return chain
}

// fieldNames lists the string keys that are names, along v's index chain,
// and a framed socket's fields.
func fieldNames(L *lua.LState, v lua.LValue) []string {
	var names []string
	for name := range lualib.Fields(v) {
		names = append(names, name)
	}
	for _, t := range indexChain(L, v) {
		t.ForEach(func(k, _ lua.LValue) {
			if s, ok := k.(lua.LString); ok && isName(string(s)) {
				names = append(names, string(s))
			}
		})
	}
	return names
}

// methodNames lists the functions reachable as v:name(), along v's index
// chain.
func methodNames(L *lua.LState, v lua.LValue) []string {
	var names []string
	for _, t := range indexChain(L, v) {
		t.ForEach(func(k, f lua.LValue) {
			if s, ok := k.(lua.LString); ok && isName(string(s)) && f.Type() == lua.LTFunction {
				names = append(names, string(s))
			}
		})
	}
	return names
}
