package lualib

// The json module: JSON text to and from Lua values. Parsing is the
// standard library's encoding/json; the mapping to Lua is below.
//
//	json.encode(v[, {indent = "  "}]) -> string
//	json.decode(s) -> v | nil, err
//	json.null                     JSON null: decode gives it, encode takes it
//	json.array([t]) -> t          mark t (a new table if none) as an array
//	json.object([t]) -> t         mark t (a new table if none) as an object
//
// A table whose keys are exactly 1..n (n >= 1) encodes as an array; any
// other table as an object with sorted keys (number keys written as
// strings), so an empty table is {} unless marked. The mark is the field
// __jsontype ("array" or "object") of the table's metatable, as in dkjson;
// json.array and json.object set one of two shared metatables, and decode
// marks every array and object it makes, so they re-encode the same way.
// Strings are bytes: encode writes valid UTF-8 as it is and raises on
// invalid UTF-8; decode turns \u escapes into UTF-8 (a lone surrogate,
// like an invalid input byte, into U+FFFD).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// JSONNullTypeName names the metatable of json.null.
const JSONNullTypeName = "netplay.json.null"

// JSONMaxDepth is the deepest nesting of arrays and objects that encode
// and decode accept.
const JSONMaxDepth = 1000

const (
	jsonNullKey    = "netplay.json.null.value" // json.null in the registry
	jsonArrayMeta  = "netplay.json.array"      // registry names of the marks
	jsonObjectMeta = "netplay.json.object"
	// An array marked by json.array may have holes (written as null), but
	// past jsonSparseSafe slots at most half of them (lua-cjson's rule).
	jsonSparseSafe = 10
)

var jsonFuncs = map[string]lua.LGFunction{
	"encode": jsonEncode,
	"decode": jsonDecode,
	"array":  jsonArray,
	"object": jsonObject,
}

// jsonNullType is the Go value inside json.null's userdata: any userdata
// holding jsonNullValue encodes as null.
type jsonNullType struct{ name string }

var jsonNullValue = &jsonNullType{"json.null"}

// OpenJSON is the loader of the json module.
func OpenJSON(L *lua.LState) int {
	reg := L.Get(lua.RegistryIndex)
	null, ok := L.GetField(reg, jsonNullKey).(*lua.LUserData)
	if !ok {
		newType(L, JSONNullTypeName, nil, map[string]lua.LGFunction{"__tostring": jsonNullString})
		null = newUserData(L, jsonNullValue, JSONNullTypeName)
		L.SetField(reg, jsonNullKey, null)
	}
	jsonMark(L, "array")
	jsonMark(L, "object")
	mod := L.SetFuncs(L.NewTable(), jsonFuncs)
	L.SetField(mod, "null", null)
	L.Push(mod)
	return 1
}

// jsonNullString implements tostring(json.null) -> "json.null".
func jsonNullString(L *lua.LState) int {
	L.Push(lua.LString(jsonNullValue.name))
	return 1
}

// jsonMark returns the shared metatable marking a table as kind ("array"
// or "object"), making it on first use.
func jsonMark(L *lua.LState, kind string) *lua.LTable {
	name := jsonObjectMeta
	if kind == "array" {
		name = jsonArrayMeta
	}
	mt := L.NewTypeMetatable(name) // the existing one if already made
	if mt.RawGetString("__jsontype") == lua.LNil {
		mt.RawSetString("__jsontype", lua.LString(kind))
	}
	return mt
}

// jsonKind is the mark on t: "array", "object" or "" (none).
func jsonKind(t *lua.LTable) string {
	if mt, ok := t.Metatable.(*lua.LTable); ok {
		if s, ok := mt.RawGetString("__jsontype").(lua.LString); ok && (s == "array" || s == "object") {
			return string(s)
		}
	}
	return ""
}

// jsonArray implements json.array([t]) -> t: t (or a new table) will
// encode as an array, [] when empty.
func jsonArray(L *lua.LState) int { return jsonSetKind(L, "array") }

// jsonObject implements json.object([t]) -> t: t (or a new table) will
// encode as an object, {} when empty.
func jsonObject(L *lua.LState) int { return jsonSetKind(L, "object") }

func jsonSetKind(L *lua.LState, kind string) int {
	var t *lua.LTable
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
		t = L.NewTable()
	case *lua.LTable:
		t = v
	default:
		namedArgError(L, 1, kind, "table expected, got "+v.Type().String())
	}
	mt := jsonMark(L, kind)
	// A metatable of the table's own stays: it carries the mark itself.
	if cur, ok := t.Metatable.(*lua.LTable); ok && cur != L.GetTypeMetatable(jsonArrayMeta) && cur != L.GetTypeMetatable(jsonObjectMeta) {
		if jsonKind(t) != kind {
			namedArgError(L, 1, kind, fmt.Sprintf("table has a metatable of its own: set its __jsontype field to %q", kind))
		}
		mt = cur
	}
	L.SetMetatable(t, mt)
	L.Push(t)
	return 1
}

// jsonEncode implements json.encode(v[, {indent = "  "}]) -> string. It
// raises on what JSON cannot hold: functions and other userdata, cycles,
// NaN and infinities, keys neither strings nor numbers, invalid UTF-8,
// nesting deeper than JSONMaxDepth. Object keys are sorted; indent (spaces
// and tabs, or a number of spaces) gives one member or element a line.
func jsonEncode(L *lua.LState) int {
	v := L.Get(1)
	indent := ""
	switch opts := L.Get(2).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		for k, val := opts.Next(lua.LNil); k != lua.LNil; k, val = opts.Next(k) {
			if k != lua.LString("indent") {
				namedArgError(L, 2, "encode", "unknown option "+jsonKeyString(k))
			}
			switch val := val.(type) {
			case lua.LString:
				if strings.Trim(string(val), " \t") != "" {
					namedArgError(L, 2, "encode", "indent must be spaces and tabs")
				}
				indent = string(val)
			case lua.LNumber:
				if val < 0 || val > 16 || val != lua.LNumber(math.Trunc(float64(val))) {
					namedArgError(L, 2, "encode", "indent must be a whole number of spaces from 0 to 16")
				}
				indent = strings.Repeat(" ", int(val))
			default:
				namedArgError(L, 2, "encode", "indent must be a string or a number, got "+val.Type().String())
			}
		}
	default:
		namedArgError(L, 2, "encode", "table expected, got "+opts.Type().String())
	}
	e := jsonEncoder{onPath: map[*lua.LTable]bool{}, max: L.MaxAlloc()}
	if err := e.value(v); err != nil {
		L.RaiseError("%s", err.Error())
	}
	out := e.buf
	if len(out) > e.max || indent != "" && jsonIndentedLen(out, len(indent)) > e.max {
		L.RaiseError("%s", errJSONTooLarge.Error())
	}
	if indent != "" {
		var b bytes.Buffer
		if err := json.Indent(&b, out, "", indent); err != nil {
			L.RaiseError("json: %s", err.Error()) // cannot happen: out is valid JSON
		}
		out = b.Bytes()
	}
	L.Push(lua.LString(out))
	return 1
}

// jsonEncoder writes one value as compact JSON.
type jsonEncoder struct {
	buf    []byte
	max    int                  // the longest text allowed: the host's bound on one allocation
	onPath map[*lua.LTable]bool // the tables being written: seeing one again is a cycle
	path   []lua.LValue         // the keys from the top value to the current one
}

// errJSONTooLarge is the error for a text longer than the host lets one
// operation allocate (lua.LState.MaxAlloc).
var errJSONTooLarge = errors.New("json: result too large")

// appendString writes s as a JSON string, unless that would take the text
// past e.max.
func (e *jsonEncoder) appendString(s string) error {
	if len(e.buf)+6*len(s)+2 > e.max && len(e.buf)+jsonQuotedLen(s) > e.max {
		return errJSONTooLarge
	}
	e.buf = appendJSONString(e.buf, s)
	return nil
}

// fail returns an encoding error naming where it happened, as a Lua index
// expression from the top value: "json: cycle detected at .a.b[2]" (a
// long path shortened to "[1][1]...[1]").
func (e *jsonEncoder) fail(format string, args ...any) error {
	var sb strings.Builder
	sb.WriteString("json: ")
	fmt.Fprintf(&sb, format, args...)
	const keep = 8 // a longer path shows its first and last keep keys
	for i, k := range e.path {
		if i == 0 {
			sb.WriteString(" at ")
		}
		if len(e.path) > 2*keep && i >= keep && i < len(e.path)-keep {
			if i == keep {
				sb.WriteString("...")
			}
			continue
		}
		if s, ok := k.(lua.LString); ok && jsonIsName(string(s)) {
			sb.WriteString("." + string(s))
		} else {
			sb.WriteString("[" + jsonKeyString(k) + "]")
		}
	}
	return errors.New(sb.String())
}

// jsonIsName reports whether s can follow a dot in a Lua index expression.
func jsonIsName(s string) bool {
	if s == "" || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// jsonKeyString shows a key in a message: strings quoted, numbers as
// tostring shows them, other values by their type.
func jsonKeyString(k lua.LValue) string {
	switch k := k.(type) {
	case lua.LString:
		return strconv.Quote(string(k))
	case lua.LNumber:
		return k.String()
	}
	return k.Type().String()
}

func (e *jsonEncoder) value(v lua.LValue) error {
	if len(e.buf) > e.max {
		return errJSONTooLarge
	}
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
		return nil
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
		return nil
	case lua.LNumber:
		b, msg := appendJSONNumber(e.buf, float64(v))
		if msg != "" {
			return e.fail("%s", msg)
		}
		e.buf = b
		return nil
	case lua.LString:
		if !utf8.ValidString(string(v)) {
			return e.fail("string is not valid UTF-8")
		}
		return e.appendString(string(v))
	case *lua.LTable:
		return e.table(v)
	case *lua.LUserData:
		if v.Value == jsonNullValue {
			e.buf = append(e.buf, "null"...)
			return nil
		}
	}
	return e.fail("cannot encode %s value", v.Type().String())
}

// jsonIndex reports whether k is an array index: a whole number >= 1.
func jsonIndex(k lua.LValue) (int, bool) {
	if n, ok := k.(lua.LNumber); ok && n >= 1 && n <= 1<<53 && float64(n) == math.Trunc(float64(n)) {
		return int(n), true
	}
	return 0, false
}

func (e *jsonEncoder) table(t *lua.LTable) error {
	if e.onPath[t] {
		return e.fail("cycle detected")
	}
	if len(e.onPath) >= JSONMaxDepth {
		return e.fail("nesting deeper than %d levels", JSONMaxDepth)
	}
	e.onPath[t] = true
	defer delete(e.onPath, t)

	kind := jsonKind(t)
	n, maxIndex, allIndex := 0, 0, true
	badKey := "" // for a marked array: the least key that is no index
	t.ForEach(func(k, _ lua.LValue) {
		n++
		if i, ok := jsonIndex(k); ok {
			maxIndex = max(maxIndex, i)
			return
		}
		allIndex = false
		if kind == "array" {
			if s := jsonKeyString(k); badKey == "" || s < badKey {
				badKey = s
			}
		}
	})
	switch kind {
	case "array":
		if !allIndex {
			return e.fail("array key must be a whole number >= 1, got %s", badKey)
		}
		if maxIndex > jsonSparseSafe && maxIndex > 2*n {
			return e.fail("excessively sparse array (%d values, highest index %d)", n, maxIndex)
		}
		return e.array(t, maxIndex)
	case "object":
		return e.object(t, n)
	}
	if n > 0 && allIndex && maxIndex == n {
		return e.array(t, n)
	}
	return e.object(t, n)
}

// array writes t[1..n], holes as null.
func (e *jsonEncoder) array(t *lua.LTable, n int) error {
	e.buf = append(e.buf, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		e.path = append(e.path, lua.LNumber(i))
		if err := e.value(t.RawGetInt(i)); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, ']')
	return nil
}

// object writes t's n members sorted by their JSON key.
func (e *jsonEncoder) object(t *lua.LTable, n int) error {
	type member struct {
		name     string
		key, val lua.LValue
	}
	members := make([]member, 0, n)
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		switch key := k.(type) {
		case lua.LString:
			if !utf8.ValidString(string(key)) {
				err = e.fail("object key is not valid UTF-8")
				return
			}
			members = append(members, member{string(key), k, v})
		case lua.LNumber:
			b, msg := appendJSONNumber(nil, float64(key))
			if msg != "" {
				err = e.fail("object key: %s", msg)
				return
			}
			members = append(members, member{string(b), k, v})
		default:
			err = e.fail("object key must be a string or a number, got %s", k.Type().String())
		}
	})
	if err != nil {
		return err
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	e.buf = append(e.buf, '{')
	for i, m := range members {
		if i > 0 {
			if m.name == members[i-1].name {
				return e.fail("duplicate key %q (a string and a number key)", m.name)
			}
			e.buf = append(e.buf, ',')
		}
		if err := e.appendString(m.name); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		e.path = append(e.path, m.key)
		if err := e.value(m.val); err != nil {
			return err
		}
		e.path = e.path[:len(e.path)-1]
	}
	e.buf = append(e.buf, '}')
	return nil
}

// appendJSONNumber appends f as encoding/json and JavaScript write it:
// plain decimal digits for magnitudes from 1e-6 up to 1e21 (whole numbers
// without a fraction: 1764115200), exponent form outside (1e+21, 1e-7),
// always the shortest text that reads back as f; -0 is 0. NaN and the
// infinities return a message instead.
func appendJSONNumber(b []byte, f float64) ([]byte, string) {
	switch {
	case math.IsNaN(f):
		return b, "cannot encode NaN"
	case math.IsInf(f, 1):
		return b, "cannot encode inf"
	case math.IsInf(f, -1):
		return b, "cannot encode -inf"
	}
	if f == 0 {
		f = 0 // -0 as 0, as tostring and JavaScript write it
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 -> 1e-7, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, ""
}

// appendJSONString appends s, valid UTF-8, as a JSON string: quotes,
// backslashes and control characters escaped, everything else as is.
// jsonQuotedLen is the length appendJSONString writes for s.
func jsonQuotedLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}

// jsonIndentedLen is the length json.Indent(dst, src, "", indent) writes
// for src, compact JSON as jsonEncoder writes it, with an indent of
// indent bytes: a newline and the depth's indent after an opening bracket
// and a comma and before a closing bracket (an empty [] or {} stays as it
// is), a space after a colon.
func jsonIndentedLen(src []byte, indent int) int {
	n, depth := len(src), 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			for i++; src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			if next := src[i+1]; next == ']' || next == '}' {
				i++
				continue
			}
			depth++
			n += 1 + depth*indent
		case ',':
			n += 1 + depth*indent
		case ':':
			n++
		case ']', '}':
			depth--
			n += 1 + depth*indent
		}
	}
	return n
}

func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonDecode implements json.decode(s) -> v | nil, err. Arrays and
// objects come back as tables marked as such, null as json.null, numbers
// as Lua numbers (integers above 2^53 rounded). err says what is wrong and
// where: "json: invalid character 'x' looking for beginning of value at
// line 1, column 5" (columns count characters from 1).
func jsonDecode(L *lua.LState) int {
	s := binCheckString(L, 1, "decode")
	d := jsonDecoder{
		L:        L,
		data:     []byte(s),
		arrayMT:  jsonMark(L, "array"),
		objectMT: jsonMark(L, "object"),
		null:     L.GetField(L.Get(lua.RegistryIndex), jsonNullKey),
	}
	v, err := d.decode()
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(v)
	return 1
}

// jsonDecoder turns JSON text into Lua values in two passes over the
// standard library: Unmarshal checks the syntax (its messages and offsets
// are the precise ones), then a Decoder's tokens build the tables.
type jsonDecoder struct {
	L                 *lua.LState
	data              []byte
	dec               *json.Decoder
	arrayMT, objectMT *lua.LTable
	null              lua.LValue
}

// jsonSyntax is a target for json.Unmarshal that keeps nothing: Unmarshal
// checks the whole input's syntax before it decodes anything.
type jsonSyntax struct{}

func (*jsonSyntax) UnmarshalJSON([]byte) error { return nil }

func (d *jsonDecoder) decode() (lua.LValue, error) {
	var se *json.SyntaxError
	if err := json.Unmarshal(d.data, &jsonSyntax{}); errors.As(err, &se) {
		msg, at := se.Error(), int(se.Offset)-1
		switch {
		case strings.HasSuffix(msg, "exceeded max depth"):
			// Deeper than encoding/json's limit is deeper than ours: the
			// second pass stops at JSONMaxDepth, with its position.
			msg = ""
		case msg == "unexpected end of JSON input":
			at = len(d.data)
		case int(se.Offset) == len(d.data) && strings.HasPrefix(msg, "invalid character ' '") && !bytes.HasSuffix(d.data, []byte(" ")):
			// At the end, the scanner reads one more space: "nul" is
			// "invalid character ' ' in literal null (expecting 'l')".
			msg, at = "unexpected end of JSON input", len(d.data)
		}
		if msg != "" {
			return nil, d.errorAt(at, "%s", msg)
		}
	} else if err != nil {
		return nil, d.errorAt(0, "%s", err.Error())
	}
	d.dec = json.NewDecoder(bytes.NewReader(d.data))
	d.dec.UseNumber()
	tok, err := d.dec.Token()
	if err != nil {
		return nil, d.errorAt(int(d.dec.InputOffset()), "%s", err.Error())
	}
	return d.value(tok, 1)
}

// errorAt makes a decoding error about the byte at offset at.
func (d *jsonDecoder) errorAt(at int, format string, args ...any) error {
	at = min(max(at, 0), len(d.data))
	before := d.data[:at]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return fmt.Errorf("json: %s at line %d, column %d", fmt.Sprintf(format, args...), line, col)
}

// token reads the next token; after the syntax check only a broken
// reader could fail.
func (d *jsonDecoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, d.errorAt(int(d.dec.InputOffset()), "%s", err.Error())
	}
	return tok, nil
}

// value converts the value starting with tok, at nesting depth depth.
func (d *jsonDecoder) value(tok json.Token, depth int) (lua.LValue, error) {
	switch t := tok.(type) {
	case json.Delim:
		if depth > JSONMaxDepth {
			return nil, d.errorAt(int(d.dec.InputOffset())-1, "nesting deeper than %d levels", JSONMaxDepth)
		}
		tbl := d.L.NewTable()
		n := 0
		for d.dec.More() {
			tok, err := d.token()
			if err != nil {
				return nil, err
			}
			var key string
			if t == '{' {
				key, _ = tok.(string)
				if tok, err = d.token(); err != nil {
					return nil, err
				}
			}
			v, err := d.value(tok, depth+1)
			if err != nil {
				return nil, err
			}
			if t == '[' {
				n++
				tbl.RawSetInt(n, v)
			} else {
				tbl.RawSetString(key, v) // a repeated key: the last one wins
			}
		}
		if _, err := d.token(); err != nil { // ']' or '}'
			return nil, err
		}
		if t == '[' {
			d.L.SetMetatable(tbl, d.arrayMT)
		} else {
			d.L.SetMetatable(tbl, d.objectMT)
		}
		return tbl, nil
	case string:
		return lua.LString(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !(errors.Is(err, strconv.ErrRange) && !math.IsInf(f, 0)) {
			return nil, d.errorAt(int(d.dec.InputOffset())-len(t), "number %s is out of range", string(t))
		}
		return lua.LNumber(f), nil
	case bool:
		return lua.LBool(t), nil
	case nil:
		return d.null, nil
	}
	return nil, d.errorAt(int(d.dec.InputOffset()), "unexpected token %v", tok)
}
