package lua

// netplay patch: error messages that name what failed, as Lua 5.1's
// luaG_typeerror and getobjname (ldebug.c) do:
//
//	attempt to call global 'undefinedfn' (a nil value)
//	attempt to call method 'recieve' (a nil value)
//	attempt to index field 'a' (a nil value)
//	attempt to perform arithmetic on local 'n' (a string value)
//	attempt to concatenate upvalue 'name' (a nil value)
//	attempt to call a nil value                (nothing to name)
//
// The VM raises through typeError with the value at fault; the register
// holding it is found among the operands of the instruction being executed,
// and symbexec finds, as Lua 5.1 does, the instruction that last loaded
// that register.

// typeError raises "attempt to <op> <kind> '<name>' (a <type> value)" for
// v, or "attempt to <op> a <type> value" when there is nothing to name. reg
// is the absolute register holding v, or -1 to look for v among the
// operands of the current instruction.
func (ls *LState) typeError(op string, v LValue, reg int) {
	typ := v.Type().String()
	if kind, name, at := ls.varInfo(v, reg); kind != "" {
		hint := ""
		if op == "call" && kind == "method" && v == LNil && ls.G.MethodHint != nil && at+1 < ls.reg.Top() {
			// SELF put the object right after the method.
			if near := ls.G.MethodHint(ls.reg.Get(at+1), name); near != "" {
				hint = "; did you mean " + near + "?"
			}
		}
		ls.RaiseError("attempt to %s %s '%s' (a %s value)%s", op, kind, name, typ, hint)
	}
	ls.RaiseError("attempt to %s a %s value", op, typ)
}

// ArgName names the variable the running Go function's argument n (1 for
// the first) was passed from, as Lua 5.1's getobjname names what failed:
// kind is "local", "global", "field", "upvalue" or "method", and "" when
// the caller is not Lua or the argument is no variable (spawn(worker)
// gives "local", "worker"). netplay patch.
func (ls *LState) ArgName(n int) (kind, name string) {
	cf := ls.currentFrame
	if cf == nil || !cf.Fn.IsG || n < 1 {
		return "", ""
	}
	caller := cf.Parent
	if caller == nil || caller.Fn.IsG || caller.Pc < 1 || caller.Pc > len(caller.Fn.Proto.Code) {
		return "", ""
	}
	inst := caller.Fn.Proto.Code[caller.Pc-1]
	if op := opGetOpCode(inst); op != OP_CALL && op != OP_TAILCALL {
		return "", ""
	}
	return objectName(caller.Fn, caller.Pc-1, opGetArgA(inst)+n)
}

// compareError raises Lua 5.1's message for an order comparison of values
// that cannot be ordered.
func (ls *LState) compareError(lhs, rhs LValue) {
	t1, t2 := lhs.Type().String(), rhs.Type().String()
	if t1 == t2 {
		ls.RaiseError("attempt to compare two %s values", t1)
	}
	ls.RaiseError("attempt to compare %s with %s", t1, t2)
}

// varInfo names the variable v came from: reg (or, when reg is -1, the
// first operand of the current instruction that holds v) must be an operand
// of the Lua instruction being executed, and hold v.
//
// It also returns the absolute register of v.
func (ls *LState) varInfo(v LValue, reg int) (kind, name string, at int) {
	cf := ls.currentFrame
	if cf == nil || cf.Fn.IsG || cf.Pc < 1 || cf.Pc > len(cf.Fn.Proto.Code) {
		return "", "", -1
	}
	found := false
	for _, r := range operands(cf.Fn.Proto, cf.Fn.Proto.Code[cf.Pc-1]) {
		r += cf.LocalBase
		if (reg < 0 || r == reg) && r < ls.reg.Top() && ls.reg.Get(r) == v {
			reg, found = r, true
			break
		}
	}
	if !found {
		return "", "", -1
	}
	kind, name = objectName(cf.Fn, cf.Pc-1, reg-cf.LocalBase)
	return kind, name, reg
}

// operands lists the registers (relative to the frame) an instruction reads
// as values that can be at fault: the object indexed, the function called,
// the operands of arithmetic, length and concatenation.
func operands(p *FunctionProto, inst uint32) []int {
	a, b, c := opGetArgA(inst), opGetArgB(inst), opGetArgC(inst)
	switch opGetOpCode(inst) {
	case OP_GETTABLE, OP_GETTABLEKS, OP_SELF:
		return []int{b}
	case OP_SETTABLE, OP_SETTABLEKS, OP_CALL, OP_TAILCALL:
		return []int{a}
	case OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_UNM, OP_LEN:
		var regs []int
		for _, r := range []int{b, c} {
			if !opIsK(r) {
				regs = append(regs, r)
			}
		}
		if op := opGetOpCode(inst); op == OP_UNM || op == OP_LEN {
			regs = regs[:min(1, len(regs))]
		}
		return regs
	case OP_CONCAT:
		var regs []int
		for r := b; r <= c; r++ {
			regs = append(regs, r)
		}
		return regs
	}
	return nil
}

// objectName is Lua 5.1's getobjname: the kind ("local", "global",
// "field", "upvalue", "method") and name of the variable register reg of fn
// holds at pc, or "" when it cannot be told.
func objectName(fn *LFunction, pc, reg int) (kind, name string) {
	p := fn.Proto
	if name, ok := localName(p, reg+1, pc); ok {
		return "local", name
	}
	inst := symbexec(p, pc, reg)
	switch opGetOpCode(inst) {
	case OP_GETGLOBAL:
		return "global", constName(p, opGetArgBx(inst))
	case OP_MOVE, OP_MOVEN:
		if b, a := opGetArgB(inst), opGetArgA(inst); b < a {
			return objectName(fn, pc, b)
		}
	case OP_GETTABLE, OP_GETTABLEKS:
		return "field", rkName(p, opGetArgC(inst))
	case OP_GETUPVAL:
		if b := opGetArgB(inst); b < len(p.DbgUpvalues) {
			return "upvalue", p.DbgUpvalues[b]
		}
		return "upvalue", "?"
	case OP_SELF:
		return "method", rkName(p, opGetArgC(inst))
	}
	return "", ""
}

// localName is Lua 5.1's luaF_getlocalname: the name of the n-th local
// variable active at pc. gopher-lua records a local's EndPc as the last
// instruction of its scope (Lua 5.1: the one after), hence pc <= EndPc;
// LFunction.LocalName, used by the debug library, is left as it is.
func localName(p *FunctionProto, n, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc <= l.EndPc {
			if n--; n == 0 {
				return l.Name, true
			}
		}
	}
	return "", false
}

// rkName is the string constant an RK operand names, or "?".
func rkName(p *FunctionProto, rk int) string {
	if !opIsK(rk) {
		return "?"
	}
	return constName(p, opIndexK(rk))
}

// constName is constant k when it is a string, or "?".
func constName(p *FunctionProto, k int) string {
	if k < len(p.Constants) {
		if s, ok := p.Constants[k].(LString); ok {
			return string(s)
		}
	}
	return "?"
}

// symbexec returns the instruction before lastpc that last changed register
// reg, following forward jumps that do not pass lastpc, as Lua 5.1's
// symbexec does; the function's final RETURN (which names nothing) when no
// instruction did.
func symbexec(p *FunctionProto, lastpc, reg int) uint32 {
	code := p.Code
	last := len(code) - 1
	for pc := 0; pc < lastpc && pc < len(code); pc++ {
		inst := code[pc]
		op, a := opGetOpCode(inst), opGetArgA(inst)
		if setsA(op) && a == reg {
			last = pc
		}
		switch op {
		case OP_LOADNIL:
			if a <= reg && reg <= opGetArgB(inst) {
				last = pc
			}
		case OP_SELF:
			if reg == a+1 {
				last = pc
			}
		case OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case OP_CALL, OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case OP_JMP, OP_FORLOOP, OP_FORPREP:
			if dest := pc + 1 + opGetArgSbx(inst); pc < dest && dest <= lastpc {
				pc = dest - 1
			}
		case OP_SETLIST:
			if opGetArgC(inst) == 0 {
				pc++ // the next word is the block number
			}
		case OP_CLOSURE:
			pc += int(p.FunctionPrototypes[opGetArgBx(inst)].NumUpvalues) // pseudo-instructions
		}
	}
	if last < 0 {
		return opInvalidInstruction
	}
	return code[last]
}

// setsA reports whether op writes register A (Lua 5.1's testAMode).
func setsA(op int) bool {
	switch op {
	case OP_MOVE, OP_MOVEN, OP_LOADK, OP_LOADBOOL, OP_LOADNIL, OP_GETUPVAL,
		OP_GETGLOBAL, OP_GETTABLE, OP_GETTABLEKS, OP_NEWTABLE, OP_SELF,
		OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_UNM, OP_NOT,
		OP_LEN, OP_CONCAT, OP_TESTSET, OP_CALL, OP_TAILCALL, OP_FORLOOP,
		OP_FORPREP, OP_CLOSURE, OP_VARARG:
		return true
	}
	return false
}
