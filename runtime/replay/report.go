package replay

import (
	"fmt"
	"strings"
	"time"

	"netplay/runtime/binpack"
)

// Kind says what differed.
type Kind int

// The kinds of difference.
const (
	Mismatch   Kind = iota + 1 // a byte other than the recorded one
	EndedEarly                 // the live program closed its direction before sending all that was recorded
	ResetEarly                 // it reset the connection before sending all that was recorded
	Silent                     // it sent nothing for the timeout while bytes were expected
	TooMuch                    // it sent bytes where the recorded program sent no more
	NoEnd                      // it did not end the connection where the recorded program did
	NoConn                     // it did not connect (netplay the server)
	ExtraConn                  // it made more connections than recorded
	DialFailed                 // netplay could not connect to it (netplay the client)
	Gone                       // it was gone (closed, reset) before netplay had sent all that was recorded
	ResetAtEnd                 // it reset the connection where the recorded program closed it: it left bytes unread
	WriteStuck                 // it read nothing for the timeout while netplay had bytes to send
	Failed                     // another socket error
)

// Difference is the first way the live program differed from the
// recording. Report words it for a person.
type Difference struct {
	Kind  Kind
	Side  Side   // the side netplay played
	Conn  string // the recorded connection ("c1")
	Event string // the recorded event the difference is at: "event 4: c1 send of 7 bytes at offset 0"
	// Offset is where in the live program's stream (or, for Gone and
	// WriteStuck, in netplay's) the difference is.
	Offset int64
	// Expected is the live program's whole stream as recorded; Received
	// what came, from offset 0 (for Mismatch and TooMuch, up to the bytes
	// that differ and what arrived with them).
	Expected, Received []byte
	Missing            int           // bytes still expected (Gone: still to send)
	Wait               time.Duration // the timeout
	Err                string        // the socket error
	Addr               string        // DialFailed: where netplay connected
	Live               string        // ExtraConn: the extra connection's address
	Count              int           // NoConn: connections that came; ExtraConn: connections recorded
}

func (d *Difference) Error() string { return d.Report() }

// Report is the difference as a person reads it: what happened, on which
// connection and at which offset, the recorded event, and hex dumps of
// the expected and received bytes around the offset.
func (d *Difference) Report() string {
	live := d.Side.Live()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	more := plural(d.Missing, "more byte")
	switch d.Kind {
	case Mismatch:
		want, got := d.Expected[d.Offset], d.Received[d.Offset]
		line("%s: the %s sent %s at offset %d where the recording has %s", d.Conn, live, byteName(got), d.Offset, byteName(want))
	case EndedEarly:
		line("%s: the %s closed the connection at offset %d; the recording has %s", d.Conn, live, d.Offset, more)
	case ResetEarly:
		line("%s: the %s reset the connection at offset %d; the recording has %s", d.Conn, live, d.Offset, more)
	case Silent:
		line("%s: nothing from the %s for %s at offset %d; the recording has %s", d.Conn, live, seconds(d.Wait), d.Offset, more)
	case TooMuch:
		line("%s: the %s sent %s more than recorded, from offset %d", d.Conn, live, plural(len(d.Received)-int(d.Offset), "byte"), d.Offset)
	case NoEnd:
		line("%s: the %s did not end the connection within %s; the recorded %s ended it at offset %d", d.Conn, live, seconds(d.Wait), live, d.Offset)
	case NoConn:
		line("%s: no connection from the %s within %s (%d of the recording's connections came)", d.Conn, live, seconds(d.Wait), d.Count)
	case ExtraConn:
		line("the %s opened %s (from %s); the recording has %s", live, d.Conn, d.Live, plural(d.Count, "connection"))
	case DialFailed:
		line("%s: cannot connect to the %s at %s: %s", d.Conn, live, d.Addr, d.Err)
	case Gone:
		line("%s: the %s was gone before it had received everything (%s): netplay had %s to send, from offset %d of its stream", d.Conn, live, d.Err, more, d.Offset)
	case ResetAtEnd:
		line("%s: the %s reset the connection at offset %d where the recorded %s closed it: it left bytes netplay sent unread", d.Conn, live, d.Offset, live)
	case WriteStuck:
		line("%s: the %s read nothing for %s; netplay's send at offset %d is stuck", d.Conn, live, seconds(d.Wait), d.Offset)
	default:
		line("%s: %s", d.Conn, d.Err)
	}
	if d.Event != "" {
		line("  recorded as %s", d.Event)
	}
	switch d.Kind {
	case Mismatch, EndedEarly, ResetEarly, Silent, TooMuch, NoEnd:
		line("  expected (what the recorded %s sent):", live)
		b.WriteString(dumpAround(d.Expected, d.Offset, "    "))
		line("  received:")
		b.WriteString(dumpAround(d.Received, d.Offset, "    "))
	}
	return b.String()
}

// dumpAround is an xxd-style dump of stream around offset (the line
// before it, its line and the one after), with stream offsets, each line
// indented, a line of ^ under the byte at offset, and a note where the
// stream ends before or inside the window.
func dumpAround(stream []byte, off int64, indent string) string {
	lineStart := off &^ 15
	from := max(0, lineStart-16)
	to := min(int64(len(stream)), lineStart+32)
	var b strings.Builder
	if from < to {
		dump := binpack.Hexdump(stream[from:to])
		for i, l := range strings.Split(strings.TrimSuffix(dump, "\n"), "\n") {
			at := from + int64(i)*16
			fmt.Fprintf(&b, "%s%08x%s\n", indent, at, l[8:])
			if at == lineStart && off < int64(len(stream)) {
				b.WriteString(indent + marker(int(off-lineStart)) + "\n")
			}
		}
	}
	switch {
	case len(stream) == 0:
		b.WriteString(indent + "(nothing)\n")
	case off >= int64(len(stream)):
		fmt.Fprintf(&b, "%s(ends at offset %d)\n", indent, len(stream))
	case to < int64(len(stream)):
		fmt.Fprintf(&b, "%s... (%d bytes in all)\n", indent, len(stream))
	}
	return b.String()
}

// marker is a line that puts ^^ under byte i of an xxd line (in the hex
// column) and ^ under it in the text column.
func marker(i int) string {
	hexCol := 10 + (i/2)*5 + (i%2)*2
	textCol := 10 + 41 + i
	m := []byte(strings.Repeat(" ", textCol+1))
	m[hexCol], m[hexCol+1], m[textCol] = '^', '^', '^'
	return string(m)
}

// byteName is a byte as 0x32 '2', or 0x0a alone when it does not print.
func byteName(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("0x%02x '%c'", c, c)
	}
	return fmt.Sprintf("0x%02x", c)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// seconds writes a timeout as 10s, 0.5s.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
