package wiretrace

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one line of a JSON Lines trace. A recording keeps whole
// chunks, so a line holds up to a read buffer's worth of base64 and more.
const MaxLine = 64 << 20

// ReadJSONL reads a trace or recording in JSON Lines form: one Event per
// line, blank lines skipped. Every event is checked with Validate; the
// first bad line ends the reading with an error that names it
// ("line 3: recv: dir must be "in", not "out""), together with the events
// read before it.
func ReadJSONL(r io.Reader) ([]Event, error) {
	var events []Event
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return events, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			ev, perr := parseLine(trimmed)
			if perr != nil {
				return events, fmt.Errorf("line %d: %w", lineNo, perr)
			}
			events = append(events, ev)
		}
		if errors.Is(err, io.EOF) {
			return events, nil
		}
	}
}

// readLine returns the next line without its newline; io.EOF with the
// last (possibly empty) line when the input ends.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(line)+len(part) > MaxLine {
			return nil, fmt.Errorf("line longer than %d bytes", MaxLine)
		}
		line = append(line, part...)
		switch {
		case err == nil:
			return bytes.TrimSuffix(line, []byte("\n")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}

func parseLine(line []byte) (Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&ev); err != nil {
		return ev, jsonError(err)
	}
	if dec.More() {
		return ev, errors.New("more than one JSON value on the line")
	}
	return ev, Validate(ev)
}

// jsonError words a decoding error for a person reading a trace file.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Errorf("field %q: %s is not a %s", typeErr.Field, typeErr.Value, typeErr.Type)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("not JSON (column %d): %v", syntaxErr.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("not JSON: the object is not finished")
	}
	return fmt.Errorf("not a trace event: %v", err)
}

// Data returns the bytes the event carries (text or b64), nil when it
// carries none or b64 is not valid base64 (Validate reports that).
func (e Event) Data() []byte {
	if e.Text != nil {
		return []byte(*e.Text)
	}
	if e.B64 == "" {
		return nil
	}
	p, err := base64.StdEncoding.DecodeString(e.B64)
	if err != nil {
		return nil
	}
	return p
}
