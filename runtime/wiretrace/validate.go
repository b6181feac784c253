package wiretrace

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// kinds are the event kinds Validate accepts.
var kinds = map[string]bool{
	Listen: true, Connect: true, Accept: true, Send: true, Recv: true, EOF: true,
	Shutdown: true, Timeout: true, Reset: true, Close: true, Error: true, TLS: true,
	Shape: true, Frame: true,
}

// Validate checks one event against the schema:
//
//   - every event: a known kind, seq from 1, time and rel not negative,
//     a conn name, dir empty, "in" or "out";
//   - send (dir "out"), recv (dir "in"), frame (dir "in" or "out"): the
//     bytes in exactly one of text and b64 (valid base64), and n equal to
//     their length plus cut; no other kind carries bytes;
//   - eof: dir "in"; reset: dir "in" or "out"; listen: local; connect:
//     remote; accept: local, remote and via (a Unix socket's peer may have
//     no address); shutdown: how r, w or rw; timeout: op; error: op and
//     error; tls: tls_version or error; shape: action;
//   - frames spans only on send and recv, numbered from 1 in increasing
//     order, with header_have <= header_want and body_have <= body_want
//     (body_want -1: not known yet, which it is until the header is whole);
//   - frame: frame from 1, start < end, end - start at least header + n;
//     frame, start, end and header on no other kind.
func Validate(e Event) error {
	if !kinds[e.Event] {
		if e.Event == "" {
			return errors.New("no event kind")
		}
		return fmt.Errorf("unknown event kind %q", e.Event)
	}
	if err := validate(e); err != nil {
		return fmt.Errorf("%s: %w", e.Event, err)
	}
	return nil
}

func validate(e Event) error {
	switch {
	case e.Seq < 1:
		return fmt.Errorf("seq must be 1 or more, not %d", e.Seq)
	case e.Time < 0 || e.Rel < 0:
		return errors.New("time and rel must not be negative")
	case e.Conn == "":
		return errors.New("no conn")
	case e.Dir != "" && e.Dir != "in" && e.Dir != "out":
		return fmt.Errorf(`dir must be "in" or "out", not %q`, e.Dir)
	case e.N < 0 || e.Offset < 0 || e.Cut < 0:
		return errors.New("n, offset and cut must not be negative")
	}
	if err := validateData(e); err != nil {
		return err
	}
	if err := validateSpans(e); err != nil {
		return err
	}
	if e.Event != Frame && (e.FrameNo != 0 || e.Start != 0 || e.End != 0 || e.Header != 0) {
		return errors.New("frame, start, end and header belong to frame events")
	}
	unix := strings.HasPrefix(e.Proto, "unix")
	switch e.Event {
	case Send:
		return wantDir(e, "out")
	case Recv, EOF:
		return wantDir(e, "in")
	case Reset:
		return wantDir(e, "in", "out")
	case Listen:
		return need(e.Local != "", "local")
	case Connect:
		return need(e.Remote != "" || unix, "remote")
	case Accept:
		if err := need(e.Local != "", "local"); err != nil {
			return err
		}
		if err := need(e.Remote != "" || unix, "remote"); err != nil {
			return err
		}
		return need(e.Via != "", "via (the listener)")
	case Shutdown:
		if e.How != "r" && e.How != "w" && e.How != "rw" {
			return fmt.Errorf(`how must be "r", "w" or "rw", not %q`, e.How)
		}
	case Timeout:
		return need(e.Op != "", "op")
	case Error:
		if err := need(e.Op != "", "op"); err != nil {
			return err
		}
		return need(e.Err != "", "error")
	case TLS:
		return need(e.TLSVersion != "" || e.Err != "", "tls_version or error")
	case Shape:
		return need(e.Action != "", "action")
	case Frame:
		return validateFrame(e)
	}
	return nil
}

func need(ok bool, field string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("no %s", field)
}

func wantDir(e Event, dirs ...string) error {
	for _, d := range dirs {
		if e.Dir == d {
			return nil
		}
	}
	return fmt.Errorf(`dir must be "%s", not %q`, strings.Join(dirs, `" or "`), e.Dir)
}

// validateData checks text xor b64 and n = len(data) + cut.
func validateData(e Event) error {
	hasText, hasB64 := e.Text != nil, e.B64 != ""
	carries := e.Event == Send || e.Event == Recv || e.Event == Frame
	switch {
	case hasText && hasB64:
		return errors.New("both text and b64: the bytes go in one of them")
	case !carries && (hasText || hasB64 || e.Cut != 0):
		return errors.New("text, b64 and cut belong to send, recv and frame events")
	case !carries:
		return nil
	case !hasText && !hasB64:
		return errors.New("no text or b64: the bytes are missing")
	}
	size := 0
	if hasText {
		size = len(*e.Text)
	} else {
		p, err := base64.StdEncoding.DecodeString(e.B64)
		if err != nil {
			return fmt.Errorf("b64 is not base64: %v", err)
		}
		size = len(p)
	}
	if size+e.Cut != e.N {
		if e.Cut != 0 {
			return fmt.Errorf("n is %d but the data has %d bytes and cut %d", e.N, size, e.Cut)
		}
		return fmt.Errorf("n is %d but the data has %d bytes", e.N, size)
	}
	return nil
}

// validateSpans checks the frames spans of a chunk.
func validateSpans(e Event) error {
	if len(e.Frames) == 0 {
		return nil
	}
	if e.Event != Send && e.Event != Recv {
		return errors.New("frames spans belong to send and recv events")
	}
	prev := 0
	for _, s := range e.Frames {
		switch {
		case s.Frame <= prev:
			return fmt.Errorf("frames: frame %d after frame %d (numbers start at 1 and increase)", s.Frame, prev)
		case s.HeaderHave < 0 || s.HeaderHave > s.HeaderWant:
			return fmt.Errorf("frames: frame %d: header_have %d out of 0..%d", s.Frame, s.HeaderHave, s.HeaderWant)
		case s.BodyWant < -1:
			return fmt.Errorf("frames: frame %d: body_want %d (-1 means not known)", s.Frame, s.BodyWant)
		case s.BodyHave < 0 || s.BodyWant >= 0 && s.BodyHave > s.BodyWant:
			return fmt.Errorf("frames: frame %d: body_have %d out of 0..%d", s.Frame, s.BodyHave, s.BodyWant)
		case s.HeaderHave < s.HeaderWant && (s.BodyHave != 0 || s.BodyWant != -1):
			return fmt.Errorf("frames: frame %d: a body before the header is whole", s.Frame)
		}
		prev = s.Frame
	}
	return nil
}

func validateFrame(e Event) error {
	if err := wantDir(e, "in", "out"); err != nil {
		return err
	}
	switch {
	case e.FrameNo < 1:
		return fmt.Errorf("frame (its number) must be 1 or more, not %d", e.FrameNo)
	case e.Start < 0 || e.End <= e.Start:
		return fmt.Errorf("start %d and end %d: a frame ends after it starts", e.Start, e.End)
	case e.Header < 0:
		return errors.New("header must not be negative")
	case e.End-e.Start < int64(e.Header+e.N):
		return fmt.Errorf("start %d, end %d: too short for a %d-byte header and %d bytes", e.Start, e.End, e.Header, e.N)
	}
	return nil
}
