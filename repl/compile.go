package repl

// Compiling an entry: an expression prints its values, a statement runs,
// an unfinished chunk asks for more lines, and top-level locals are kept.

import (
	"errors"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// chunkName names the code typed at the prompt in errors and tracebacks
// (stdin:1: attempt to call a nil value), as lua.c does.
const chunkName = "stdin"

// errIncomplete: the entry is valid so far but unfinished (the parse error
// is at the end of the input): read another line.
var errIncomplete = errors.New("incomplete entry")

// compileEntry compiles what the user typed. It tries `return <entry>`
// first, so that an expression prints its values (`=expr` is the same as
// `expr`), then the entry as a statement. It returns errIncomplete when
// more lines could complete either form (so a table constructor or an
// expression can span lines too), otherwise the syntax error that says
// most: the statement's, unless the entry is not a statement from its
// first token on. Call it with the interpreter lock held.
func compileEntry(L *lua.LState, src string) (*lua.LFunction, error) {
	if rest, ok := strings.CutPrefix(src, "="); ok {
		src = rest
	}
	proto, exprErr := compileSource("return "+src, false)
	if exprErr == nil {
		return L.NewFunctionFromProto(proto), nil
	}
	proto, stmtErr := compileSource(src, true)
	switch {
	case stmtErr == nil:
		return L.NewFunctionFromProto(proto), nil
	case isIncomplete(stmtErr) || isIncomplete(exprErr):
		return nil, errIncomplete
	case atFirstToken(stmtErr, src):
		return nil, exprErr
	}
	return nil, stmtErr
}

// atFirstToken reports whether a syntax error is at the first token of
// src: src is then no statement at all, and the error of its expression
// form says more (`1 = 2` is wrong at "=", not at "1").
func atFirstToken(err error, src string) bool {
	var perr *parse.Error
	if !errors.As(err, &perr) || perr.Pos.Line != 1 {
		return false
	}
	first := len(src) - len(strings.TrimLeft(src, " \t"))
	return perr.Pos.Column == first+1
}

// compileSource parses and compiles src as a chunk named chunkName; with
// keepLocals, its top-level locals become globals (see globalizeLocals).
func compileSource(src string, keepLocals bool) (*lua.FunctionProto, error) {
	stmts, err := parse.Parse(strings.NewReader(src), chunkName)
	if err != nil {
		return nil, err
	}
	if keepLocals {
		globalizeLocals(stmts)
	}
	return lua.Compile(stmts, chunkName)
}

// isIncomplete reports whether a syntax error is at the end of the input
// (gopher-lua's glua and lua.c continue reading then).
//
// A short string cannot go on past the end of its line, so an unfinished
// one is an error now, not an entry to continue.
func isIncomplete(err error) bool {
	var perr *parse.Error
	return errors.As(err, &perr) && perr.Pos.Line == parse.EOF && perr.Message != "unfinished string"
}

// globalizeLocals turns the entry's top-level `local` declarations into
// global assignments, so that `local c = socket.connect(addr)` leaves c
// for the next entry, as a line of a script pasted at the prompt expects.
// Locals inside blocks and functions are untouched. (lua.c instead drops
// them at the end of the entry.) `local function f` is parsed as
// `local f = function`, so it is covered too.
func globalizeLocals(stmts []ast.Stmt) {
	for i, s := range stmts {
		local, ok := s.(*ast.LocalAssignStmt)
		if !ok {
			continue
		}
		assign := &ast.AssignStmt{Rhs: local.Exprs}
		for _, name := range local.Names {
			id := &ast.IdentExpr{Value: name}
			id.SetLine(local.Line())
			id.SetLastLine(local.Line())
			assign.Lhs = append(assign.Lhs, id)
		}
		assign.SetLine(local.Line())
		assign.SetLastLine(local.LastLine())
		stmts[i] = assign
	}
}
