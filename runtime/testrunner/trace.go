package testrunner

// Tracebacks and positions: what the report shows of a Lua error.

import (
	"regexp"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// positionRE matches the "file:line:" a Lua error message starts with.
var positionRE = regexp.MustCompile(`^([^\s:][^:\n]*):(\d+):`)

// positionOf is the file:line msg starts with, or "".
func positionOf(msg string) string {
	m := positionRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	return m[1] + ":" + m[2]
}

// trimTrace keeps a traceback's frames down to the last one in file (the
// test function, or setup or teardown), leaving out the runner's own
// frames below it; without such a frame it drops the trailing "[G]: ?".
// Tabs become four spaces.
func trimTrace(trace, file string) string {
	lines := strings.Split(strings.TrimRight(trace, "\n"), "\n")
	if len(lines) < 2 || lines[0] != "stack traceback:" {
		return ""
	}
	frames := lines[1:]
	last := -1
	for i, f := range frames {
		if strings.HasPrefix(strings.TrimSpace(f), file+":") {
			last = i
		}
	}
	if last >= 0 {
		frames = frames[:last+1]
	} else {
		for len(frames) > 0 && strings.TrimSpace(frames[len(frames)-1]) == "[G]: ?" {
			frames = frames[:len(frames)-1]
		}
	}
	if len(frames) == 0 {
		return ""
	}
	for i, f := range frames {
		frames[i] = "    " + strings.TrimSpace(f)
	}
	return "stack traceback:\n" + strings.Join(frames, "\n")
}

// frameIn is the file:line of the innermost frame of trace in file, or "".
func frameIn(trace, file string) string {
	for _, f := range strings.Split(trace, "\n") {
		f = strings.TrimSpace(f)
		if strings.HasPrefix(f, file+":") {
			return positionOf(f)
		}
	}
	return ""
}

// errorText is an error value as the report shows it: a string as it is,
// a value with __tostring through it, anything else rendered.
func errorText(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case *lua.LTable, *lua.LUserData:
		if L.GetMetaField(v, "__tostring") != lua.LNil {
			if s, ok := safeToString(L, v); ok {
				return s
			}
		}
	}
	return render(v)
}

// safeToString calls tostring(v) in a protected call.
func safeToString(L *lua.LState, v lua.LValue) (string, bool) {
	L.Push(L.GetGlobal("tostring"))
	L.Push(v)
	if err := L.PCall(1, 1, nil); err != nil {
		return "", false
	}
	s := L.Get(-1).String()
	L.Pop(1)
	return s, true
}
