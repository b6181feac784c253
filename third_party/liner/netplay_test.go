//go:build !windows

package liner

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// netplay patches (PATCHES.md).

func TestExpandTabs(t *testing.T) {
	cases := []struct {
		buf     string
		pos     int
		want    string
		wantPos int
	}{
		{"abc", 1, "abc", 1},
		{"\tx", 0, "    x", 0},
		{"\tx", 1, "    x", 4},
		{"\tx", 2, "    x", 5},
		{"ab\tc", 3, "ab  c", 4},
		{"\t\tend", 2, "        end", 8},
		{"abcd\t", 5, "abcd    ", 8},
	}
	for _, c := range cases {
		got, pos := expandTabs([]rune(c.buf), c.pos)
		if string(got) != c.want || pos != c.wantPos {
			t.Errorf("expandTabs(%q, %d) = %q, %d; want %q, %d", c.buf, c.pos, string(got), pos, c.want, c.wantPos)
		}
	}
}

// The terminal's paste markers are keys of their own.
func TestPasteMarkers(t *testing.T) {
	var s State
	s.r = bufio.NewReader(strings.NewReader("\x1b[200~a\x1b[201~"))
	next := make(chan nexter)
	go func() {
		for {
			var n nexter
			n.r, _, n.err = s.r.ReadRune()
			next <- n
			if n.err != nil {
				return
			}
		}
	}()
	s.next = next
	s.expectAction(t, pasteStart)
	s.expectRune(t, 'a')
	s.expectAction(t, pasteEnd)
}

// A paste of several lines gives one line a call; an unfinished last line
// is left to edit.
func TestPastedLines(t *testing.T) {
	var s State
	line, pos, whole := s.insertPaste([]rune("x = "), 4, "1\n\tif y then\n\t\tz()\n\tend\nlast")
	if string(line) != "x = 1" || pos != 5 || !whole {
		t.Fatalf("insertPaste: %q %d %v", string(line), pos, whole)
	}
	for _, want := range []string{"\tif y then", "\t\tz()", "\tend"} {
		got, ok := s.takePasted()
		if string(got) != want || !ok {
			t.Fatalf("takePasted = %q, %v; want %q, true", string(got), ok, want)
		}
	}
	if got, ok := s.takePasted(); string(got) != "last" || ok || len(s.pasted) != 0 {
		t.Fatalf("takePasted = %q, %v; want the unfinished %q", string(got), ok, "last")
	}
	line, pos, whole = s.insertPaste([]rune("ab"), 1, "XY")
	if string(line) != "aXYb" || pos != 3 || whole {
		t.Fatalf("a paste without a newline: %q %d %v", string(line), pos, whole)
	}
}

// WriteAbove writes straight when no prompt is shown; when one is, it
// clears the prompt's row first and draws the prompt and its line again
// after, tabs shown as spaces.
func TestWriteAbove(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	s := &State{}
	s.out, s.columns = pw, 80
	s.WriteAbove(func(prompting bool) {
		if prompting {
			t.Error("prompting without a prompt")
		}
		pw.WriteString("plain\n")
	})
	s.active = true
	s.show([]rune("> "), []rune("\tab"), 3)
	s.WriteAbove(func(prompting bool) {
		if !prompting {
			t.Error("not prompting with a prompt")
		}
		pw.WriteString("tick\n")
	})
	pw.Close()
	var got bytes.Buffer
	got.ReadFrom(pr)
	want := "plain\n" + "\r\x1b[0K" + "tick\n" + "\r> " + "    ab" + "\x1b[0K" + "\r\x1b[8C"
	if got.String() != want {
		t.Fatalf("wrote %q\nwant  %q", got.String(), want)
	}
}
