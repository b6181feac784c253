package parse

// netplay patch: what a chunk that ends too soon lacks, in Lua 5.1's words.
//
// gopher-lua's parser (goyacc) only says "syntax error" at the end of the
// input. Lua 5.1's says what it expected there:
//
//	'end' expected (to close 'for' at line 1) near <eof>
//	'until' expected near <eof>
//	')' expected (to close '(' at line 3) near <eof>
//	'then' expected near <eof>
//	'<name>' expected near <eof>
//	unexpected symbol near <eof>        (an expression is missing)
//
// eofMessage finds it by scanning the chunk's tokens again, keeping a
// stack of what is open (blocks, brackets) and what each header waits for
// (if ... then, while/for ... do).

import (
	"bytes"
	"fmt"
)

// opening is something open at the end of the input.
type opening struct {
	tok     int // TFunction, TIf, TWhile, TFor, TDo, TRepeat, '(', '{', '['
	line    int
	waits   int  // the keyword its header still waits for: TThen, TDo, or 0
	forVars bool // a for header that has seen its '=' or 'in'
	params  bool // a '(' that opens a function's parameters; a function whose '(' came
}

// closer is the token that closes each kind of opening.
var closer = map[int]string{
	TFunction: "end", TIf: "end", TWhile: "end", TFor: "end", TDo: "end",
	TRepeat: "until", '(': ")", '{': "}", '[': "]",
}

// openerName is how Lua names an opening in "(to close 'for' at line 1)".
var openerName = map[int]string{
	TFunction: "function", TIf: "if", TWhile: "while", TFor: "for", TDo: "do",
	TRepeat: "repeat", '(': "(", '{': "{", '[': "[",
}

// needsExpr lists the tokens after which an expression must follow.
var needsExpr = map[int]bool{
	'+': true, '-': true, '*': true, '/': true, '%': true, '^': true, '#': true,
	T2Comma: true, TEqeq: true, TNeq: true, '<': true, TLte: true, '>': true,
	TGte: true, TAnd: true, TOr: true, TNot: true, '=': true, ',': true,
	'(': true, '{': true, '[': true, TIf: true, TElseIf: true, TWhile: true,
	TUntil: true, TIn: true,
}

// needsName lists the tokens after which a name must follow.
var needsName = map[int]bool{TLocal: true, '.': true, ':': true, TGoto: true, TFor: true}

// eofMessage says what the chunk src, which ended at line eofLine, lacks.
func eofMessage(src []byte, eofLine int) string {
	stack, last, prev := scanOpenings(src)
	if len(stack) > 0 {
		if top := stack[len(stack)-1]; top.tok == '(' && top.params && (last == '(' || last == ',') {
			return "<name> or '...' expected"
		}
	}
	switch {
	case last == TFunction && !needsExpr[prev] && prev != TReturn:
		return "'<name>' expected"
	case last == TFunction:
		return "'(' expected"
	case needsName[last]:
		return "'<name>' expected"
	case needsExpr[last]:
		return "unexpected symbol"
	case len(stack) == 0:
		if last == TIdent || last == ']' {
			return "'=' expected"
		}
		return "unexpected symbol"
	}
	top := stack[len(stack)-1]
	switch {
	case top.waits == TThen:
		return "'then' expected"
	case top.waits == TDo && top.tok == TFor && !top.forVars:
		return "'=' or 'in' expected"
	case top.waits == TDo:
		return "'do' expected"
	}
	msg := fmt.Sprintf("'%s' expected", closer[top.tok])
	if top.line != eofLine {
		msg += fmt.Sprintf(" (to close '%s' at line %d)", openerName[top.tok], top.line)
	}
	return msg
}

// scanOpenings scans src and returns what is still open at its end, the
// type of its last token and of the one before (0 when there is none).
func scanOpenings(src []byte) (stack []opening, last, prev int) {
	sc := NewScanner(bytes.NewReader(src), "")
	lx := &Lexer{scanner: sc}
	for {
		tok, err := sc.Scan(lx)
		if err != nil || tok.Type == EOF {
			return stack, last, prev
		}
		lx.PrevTokenType = tok.Type
		stack = track(stack, tok.Type, tok.Pos.Line)
		prev, last = last, tok.Type
	}
}

// track updates the stack of openings for one token.
func track(stack []opening, tok, line int) []opening {
	var top *opening
	if len(stack) > 0 {
		top = &stack[len(stack)-1]
	}
	switch tok {
	case '(':
		if top != nil && top.tok == TFunction && !top.params {
			top.params = true
			return append(stack, opening{tok: tok, line: line, params: true})
		}
		return append(stack, opening{tok: tok, line: line})
	case TFunction, TRepeat, '{', '[':
		return append(stack, opening{tok: tok, line: line})
	case TIf:
		return append(stack, opening{tok: tok, line: line, waits: TThen})
	case TWhile, TFor:
		return append(stack, opening{tok: tok, line: line, waits: TDo})
	case TElseIf:
		if top != nil && top.tok == TIf {
			top.waits = TThen
		}
	case TThen:
		if top != nil && top.waits == TThen {
			top.waits = 0
		}
	case '=', TIn:
		if top != nil && top.tok == TFor && top.waits == TDo {
			top.forVars = true
		}
	case TDo:
		if top != nil && top.waits == TDo {
			top.waits = 0
			return stack
		}
		return append(stack, opening{tok: tok, line: line})
	case TEnd, TUntil, ')', '}', ']':
		if top != nil && closer[top.tok] == closingText(tok) {
			return stack[:len(stack)-1]
		}
	}
	return stack
}

// closingText is the text of a closing token.
func closingText(tok int) string {
	switch tok {
	case TEnd:
		return "end"
	case TUntil:
		return "until"
	}
	return string(rune(tok))
}
