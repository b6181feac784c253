package repl

// :help: the REPL's commands (help.txt), the Lua API module by module
// (:help socket), one function or method (:help f:recv, :help
// socket.connect), what a value offers (:help c, help(c)), all from
// lualib.API, the table the README's API tables are checked against; and
// the tutorial, a step at a time.

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/lualib"
)

// helpText is what :help prints.
//
//go:embed help.txt
var helpText string

// tutorialText is the README's section "The tutorial in the REPL".
//
//go:embed tutorial.md
var tutorialText string

// sigColumn is the width signatures are padded to in a list.
const sigColumn = 34

// moduleAliases are other names :help takes for a module.
var moduleAliases = map[string]string{"tasks": "task", "timers": "timer", "time": "timer"}

// help implements :help [TOPIC].
func (r *REPL) help(args []string) {
	if len(args) == 0 {
		r.out(helpText)
		return
	}
	if args[0] == "tutorial" {
		r.out(r.tutorial.show(args[1:]))
		return
	}
	r.h.Lock()
	text, ok := helpOnName(r.h.L, args[0])
	r.h.Unlock()
	if !ok {
		fmt.Fprintf(r.stderr, "no help on %s: try :help, :help socket, :help f:recv or :help tutorial\n", args[0])
		return
	}
	r.out(text)
}

// out writes text to stdout.
func (r *REPL) out(text string) { fmt.Fprint(r.stdout, text) }

// helpOnName is the help on a module (socket), a function or method as a
// signature names it (socket.connect, f:recv, spawn), a method of a value
// (c:recv for a socket c), or a value (c, fs.sock). Call with the
// interpreter held; no Lua code runs.
func helpOnName(L *lua.LState, name string) (string, bool) {
	name = strings.TrimSuffix(name, "()")
	module := name
	if alias, ok := moduleAliases[name]; ok {
		module = alias
	}
	if docs := lualib.ModuleDocs(module); len(docs) > 0 {
		return module + "\n" + docList(docs), true
	}
	if d, ok := lualib.FindDoc(name); ok {
		return docList([]lualib.Doc{d}), true
	}
	if obj, method, ok := strings.Cut(name, ":"); ok {
		if v, found := lookupPath(L, obj); found {
			if recv := receiverOf(L, v); recv != "" {
				if d, ok := lualib.FindDoc(recv + ":" + method); ok {
					return docList([]lualib.Doc{d}), true
				}
			}
		}
		return "", false
	}
	if v, found := lookupPath(L, name); found {
		return helpOnValue(L, v)
	}
	return "", false
}

// helpOnValue is the help on a value: a module's functions, the methods
// of a socket, framed socket, task, timer, queue..., or the doc of a
// function of the API.
func helpOnValue(L *lua.LState, v lua.LValue) (string, bool) {
	if s, ok := v.(lua.LString); ok {
		return helpOnName(L, string(s))
	}
	for _, m := range lualib.Modules {
		if L.GetGlobal(m.Name) == v {
			return helpOnName(L, m.Name)
		}
	}
	if recv := receiverOf(L, v); recv != "" {
		typeName := lualib.Receivers[recv]
		return fmt.Sprintf("%s: %s\n%s", kindName(typeName), describe(L, v), docList(lualib.MethodDocs(typeName))), true
	}
	if fn, ok := v.(*lua.LFunction); ok {
		for _, d := range lualib.API {
			if docValue(L, d) == fn {
				return docList([]lualib.Doc{d}), true
			}
		}
	}
	return "", false
}

// kindName is how help calls a value of a userdata type.
func kindName(typeName string) string {
	return strings.TrimPrefix(typeName, "netplay.")
}

// describe renders v as the REPL prints it (__tostring is read, not run:
// netplay's own types only reach here).
func describe(L *lua.LState, v lua.LValue) string {
	return printer{metaString: metaStringIn(L)}.value(v)
}

// receiverOf is the receiver name signatures use for v's type (s for a
// socket), or "".
func receiverOf(L *lua.LState, v lua.LValue) string {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return ""
	}
	for recv, typeName := range lualib.Receivers {
		if ud.Metatable == L.GetTypeMetatable(typeName) {
			return recv
		}
	}
	return ""
}

// docValue is the function a doc is about, looked up without running Lua
// code: a global (spawn), a module's field (socket.connect), a method in
// its type's metatable (s:recv), or a callable module (trace).
func docValue(L *lua.LState, d lualib.Doc) lua.LValue {
	head, sep, name, ok := lualib.ParseSig(d.Sig)
	switch {
	case !ok:
		return lua.LNil
	case sep == "":
		return L.GetGlobal(head)
	case sep == ".":
		v, _ := lookupPath(L, head+"."+name)
		return v
	}
	typeName, ok := lualib.Receivers[head]
	if !ok {
		return lua.LNil
	}
	for _, t := range indexChain(L, L.GetTypeMetatable(typeName)) {
		if f := t.RawGetString(name); f != lua.LNil {
			return f
		}
	}
	return lua.LNil
}

// docList renders docs one a line: the signature, then what it does.
func docList(docs []lualib.Doc) string {
	var b strings.Builder
	for _, d := range docs {
		if len(d.Sig) > sigColumn {
			fmt.Fprintf(&b, "  %s\n  %-*s  %s\n", d.Sig, sigColumn, "", d.Does)
			continue
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", sigColumn, d.Sig, d.Does)
	}
	return b.String()
}

// tutorialWalk is where :help tutorial is in the tutorial: the step shown
// last (0: none yet).
type tutorialWalk struct {
	step int
}

// show implements :help tutorial [N | next | all]: the first step (or step
// N, or the one after the last shown), with how to go on; all prints the
// whole tutorial.
func (w *tutorialWalk) show(args []string) string {
	steps := tutorialSteps(tutorialText)
	n := 1
	switch {
	case len(args) == 0:
	case args[0] == "all":
		w.step = len(steps)
		return tutorialText
	case args[0] == "next":
		n = w.step + 1
	default:
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n < 1 || n > len(steps) {
			return fmt.Sprintf("the tutorial has steps 1 to %d: :help tutorial N\n", len(steps))
		}
	}
	if n > len(steps) {
		return "that was the last step of the tutorial (:help tutorial to start again)\n"
	}
	w.step = n
	next := ":next for the next"
	if n == len(steps) {
		next = "the last one"
	}
	return fmt.Sprintf("%s\n(step %d of %d: %s, :help tutorial N for step N, :help tutorial all for all of it)\n", steps[n-1], n, len(steps), next)
}

// tutorialSteps cuts the tutorial after each example session (a fenced
// code block), so each step is some text and the lines to type; text after
// the last block joins the last step.
func tutorialSteps(text string) []string {
	var steps []string
	var cur strings.Builder
	inBlock := false
	for _, line := range strings.SplitAfter(strings.TrimRight(text, "\n"), "\n") {
		cur.WriteString(line)
		if strings.TrimSpace(line) != "```" {
			continue
		}
		inBlock = !inBlock
		if !inBlock {
			steps = append(steps, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		if len(steps) == 0 {
			return []string{rest}
		}
		steps[len(steps)-1] += "\n\n" + rest
	}
	for i := range steps {
		steps[i] = strings.TrimLeft(steps[i], "\n") + "\n"
	}
	return steps
}
