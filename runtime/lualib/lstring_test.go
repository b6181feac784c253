package lualib

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestNewLString: the value is an LString equal to the bytes, a copy of
// them, equal to (and a table key the same as) the string made the usual
// way, for every length around the header's size and the allocator's
// size classes.
func TestNewLString(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, oneBlockMax, oneBlockMax + 1, 4096, 4106, 1 << 20} {
		src := bytes.Repeat([]byte("abcdefghij"), n/10+1)[:n]
		want := string(src)
		v := newLString(src)
		for i := range src {
			src[i] = 'X' // the value is a copy
		}
		s, ok := v.(lua.LString)
		if !ok {
			t.Fatalf("len %d: %T, want lua.LString", n, v)
		}
		if string(s) != want {
			t.Fatalf("len %d: got %q..., want %q...", n, clip(string(s)), clip(want))
		}
		if v != lua.LValue(lua.LString(want)) {
			t.Errorf("len %d: not == the usual LString", n)
		}
		tbl := L.NewTable()
		tbl.RawSet(v, lua.LNumber(n))
		if got := tbl.RawGetString(want); got != lua.LNumber(n) {
			t.Errorf("len %d: as a table key, found %v by the usual string", n, got)
		}
		if v.String() != want || v.Type() != lua.LTString {
			t.Errorf("len %d: String/Type wrong", n)
		}
	}
}

// TestNewLStringSurvivesCollections keeps only values, and substrings
// taken out of others, through collections with garbage made between
// them: every byte must stay as it was (the blocks are never scanned, so
// this is what would show a block freed while still referenced).
func TestNewLStringSurvivesCollections(t *testing.T) {
	const count = 2000
	values := make([]lua.LValue, count)
	subs := make([]string, count)
	for i := range values {
		msg := []byte(strings.Repeat(string(rune('a'+i%26)), 8+i%200) + "|end")
		values[i] = newLString(msg)
		subs[i] = string(newLString(msg).(lua.LString))[2:]
	}
	for round := 0; round < 5; round++ {
		garbage := make([][]byte, 0, 1000)
		for i := 0; i < 1000; i++ {
			garbage = append(garbage, make([]byte, 24+i%300))
		}
		_ = garbage
		runtime.GC()
	}
	for i := range values {
		want := strings.Repeat(string(rune('a'+i%26)), 8+i%200) + "|end"
		if got := string(values[i].(lua.LString)); got != want {
			t.Fatalf("value %d: %q, want %q", i, clip(got), clip(want))
		}
		if subs[i] != want[2:] {
			t.Fatalf("substring %d: %q, want %q", i, clip(subs[i]), clip(want[2:]))
		}
	}
}

// TestNewLStringAllocatesOnce: one allocation a string, not two, up to
// oneBlockMax bytes; past it a string whose size is a size class keeps
// its class (the header would take it to the next one).
func TestNewLStringAllocatesOnce(t *testing.T) {
	var sink lua.LValue
	for _, tc := range []struct{ size, allocs int }{{1, 1}, {32, 1}, {oneBlockMax, 1}, {4096, 2}} {
		msg := make([]byte, tc.size)
		if n := testing.AllocsPerRun(100, func() { sink = newLString(msg) }); n != float64(tc.allocs) {
			t.Errorf("%d bytes: %v allocations, want %d", tc.size, n, tc.allocs)
		}
	}
	_ = sink
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
