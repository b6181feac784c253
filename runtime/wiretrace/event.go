// Package wiretrace defines the events of netplay's wire trace: one value
// per thing a socket did (listen, connect, accept, send, recv, end of
// stream, shutdown, timeout, reset, close, TLS handshake, shaping action)
// and per whole frame a codec found or sent. The same events are printed
// as text lines (--trace), written as JSON Lines (--trace=json, --record),
// replayed (netplay replay) and drawn (netplay view).
//
// The JSON form is the schema the README documents: one object per line,
// with the fields of Event under their json names; fields that do not
// apply to an event are left out.
package wiretrace

// Event kinds.
const (
	Listen   = "listen"   // a socket started listening: local
	Connect  = "connect"  // a connection was made from this side: local, remote
	Accept   = "accept"   // a listener handed over a connection: local, remote; listener in Via
	Send     = "send"     // bytes written: dir "out", n, offset, data
	Recv     = "recv"     // bytes read: dir "in", n, offset, data
	EOF      = "eof"      // the peer closed its side: dir "in", offset
	Shutdown = "shutdown" // this side closed a direction: how
	Timeout  = "timeout"  // a call's deadline passed: op
	Reset    = "reset"    // the connection was reset: dir
	Close    = "close"    // this side closed the socket
	Error    = "error"    // another failure: op, error
	TLS      = "tls"      // a TLS handshake ended: tls_version, cipher, alpn, error
	Shape    = "shape"    // fault injection acted: action, n
	Frame    = "frame"    // a codec found or sent a whole frame: dir, frame, start, end, header, n, data
)

// Event is one entry of the trace.
type Event struct {
	Seq      int     `json:"seq"`                 // 1, 2, ... in the order the events happened
	Time     float64 `json:"time"`                // seconds since the epoch (the host's clock, virtual under virtual time)
	Rel      float64 `json:"rel"`                 // seconds since the trace started
	Task     int     `json:"task,omitempty"`      // the task that acted (0: none)
	TaskName string  `json:"task_name,omitempty"` // its name
	Conn     string  `json:"conn"`                // short name: c1, c2 (connections), l1 (listeners), u1 (datagram sockets)
	Proto    string  `json:"proto"`               // tcp, tcp6, udp, udp6, unix
	TLS      bool    `json:"tls,omitempty"`       // the connection runs TLS (data shown is the plaintext)
	Local    string  `json:"local,omitempty"`     // this side's address
	Remote   string  `json:"remote,omitempty"`    // the peer's address
	Event    string  `json:"event"`               // one of the kinds above
	Dir      string  `json:"dir,omitempty"`       // "out" (this side sends) or "in" (this side receives)
	Via      string  `json:"via,omitempty"`       // accept: the listener's conn name
	N        int     `json:"n,omitempty"`         // bytes in this chunk or frame
	Offset   int64   `json:"offset,omitempty"`    // stream offset of the chunk's first byte in its direction (0-based)
	Text     *string `json:"text,omitempty"`      // the bytes, when they are valid UTF-8
	B64      string  `json:"b64,omitempty"`       // the bytes in base64, when they are not
	Cut      int     `json:"cut,omitempty"`       // bytes left out of text/b64 (never in a recording)
	// Frames says, on a chunk of a framed socket, which frames the chunk
	// carries and how far each has come once the chunk is counted.
	Frames []FrameSpan `json:"frames,omitempty"`
	// Frame events: the frame's number (1, 2, ... per direction), where it
	// starts and ends in the stream (end exclusive) and its header's size.
	FrameNo int    `json:"frame,omitempty"`
	Start   int64  `json:"start,omitempty"`
	End     int64  `json:"end,omitempty"`
	Header  int    `json:"header,omitempty"`
	Codec   string `json:"codec,omitempty"`
	// Other details.
	How        string `json:"how,omitempty"`         // shutdown: r, w, rw
	Op         string `json:"op,omitempty"`          // timeout, error: the call (recv, send, accept, connect)
	Err        string `json:"error,omitempty"`       // error, tls: the message
	Action     string `json:"action,omitempty"`      // shape: split, delay, coalesce, close, reset, drop, duplicate, reorder
	TLSVersion string `json:"tls_version,omitempty"` // tls: "TLS 1.3"
	Cipher     string `json:"cipher,omitempty"`      // tls: the cipher suite
	ALPN       string `json:"alpn,omitempty"`        // tls: the negotiated protocol
}

// FrameSpan is one frame's progress as a chunk is counted: how many of
// its header and body bytes have arrived (or gone out), out of how many.
// BodyWant is -1 while the header is incomplete or the codec cannot know
// the length ahead (a line ends where its delimiter is).
type FrameSpan struct {
	Frame      int `json:"frame"`
	HeaderHave int `json:"header_have"`
	HeaderWant int `json:"header_want"`
	BodyHave   int `json:"body_have"`
	BodyWant   int `json:"body_want"`
}
