package testrunner

// A test file, compiled once and run on a fresh host for each test.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// testFile is a compiled test file.
type testFile struct {
	path  string // as shown in the report, and the chunk's name
	dir   string // its folder: run() looks there first
	proto *lua.FunctionProto
	// virtual: the file runs in virtual time (--virtual-time, or a
	// top-level testing.virtual_time() statement).
	virtual bool
}

// compileFile reads and compiles path. A file that cannot be read or
// compiled comes back as a problem placed at its file:line.
func compileFile(path string, virtual bool) (*testFile, *problem) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &problem{where: path, message: path + ": " + err.Error()}
	}
	chunk, err := parse.Parse(bytes.NewReader(src), path)
	if err != nil {
		return nil, syntaxProblem(path, err)
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		return nil, syntaxProblem(path, err)
	}
	return &testFile{path: path, dir: filepath.Dir(path), proto: proto, virtual: virtual || callsVirtualTime(chunk)}, nil
}

// syntaxProblem turns a parse or compile error into "file:line: message".
func syntaxProblem(path string, err error) *problem {
	var pe *parse.Error
	if errors.As(err, &pe) {
		if pe.Pos.Line == parse.EOF {
			msg := fmt.Sprintf("%s: %s at the end of the file", path, pe.Message)
			return &problem{where: path, message: msg}
		}
		where := fmt.Sprintf("%s:%d", path, pe.Pos.Line)
		return &problem{where: where, message: fmt.Sprintf("%s: %s near '%s'", where, pe.Message, pe.Token)}
	}
	var ce *lua.CompileError
	if errors.As(err, &ce) {
		where := fmt.Sprintf("%s:%d", path, ce.Line)
		return &problem{where: where, message: fmt.Sprintf("%s: %s", where, ce.Message)}
	}
	return &problem{where: path, message: fmt.Sprintf("%s: %v", path, err)}
}

// callsVirtualTime reports whether one of the chunk's top-level
// statements is a call X.virtual_time() (testing.virtual_time(), or
// through a local holding require "testing"): the runner reads it before
// it makes the host, which is why the call counts only there.
func callsVirtualTime(chunk []ast.Stmt) bool {
	for _, st := range chunk {
		call, ok := st.(*ast.FuncCallStmt)
		if !ok {
			continue
		}
		fc, ok := call.Expr.(*ast.FuncCallExpr)
		if !ok || fc.Receiver != nil || len(fc.Args) != 0 {
			continue
		}
		get, ok := fc.Func.(*ast.AttrGetExpr)
		if !ok {
			continue
		}
		_, isIdent := get.Object.(*ast.IdentExpr)
		key, isString := get.Key.(*ast.StringExpr)
		if isIdent && isString && key.Value == "virtual_time" {
			return true
		}
	}
	return false
}
