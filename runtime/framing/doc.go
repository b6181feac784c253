// Package framing splits a byte stream into messages and frames messages for
// sending. It provides the usual framing codecs in plain Go:
//
//   - [Header]: an ASCII decimal length, left-aligned and space-padded to a
//     fixed width, as in netplay's tutorial (Python: f'{len(msg):<10}' + msg).
//   - [Uint]: a 1, 2, 4 or 8 byte unsigned binary length prefix, big- or
//     little-endian.
//   - [Varint]: a protobuf-style base-128 unsigned varint length prefix.
//   - [Line]: messages terminated by a delimiter, "\n" (also accepting "\r\n")
//     by default.
//   - [Netstring]: D. J. Bernstein's netstrings, "5:hello,".
//   - [Fixed]: every message is exactly n bytes.
//
// # The Decode contract
//
// [Codec.Decode] works like a [bufio.SplitFunc] without the atEOF flag: it is
// handed the unread bytes of a stream and looks for one whole frame at the
// start of them. It never blocks, never keeps state between calls and never
// copies. It returns one of:
//
//	used > 0, msg, nil   a frame of used bytes was found; msg is its payload
//	0, nil, nil          need more: no error so far, but the frame is incomplete
//	0, nil, err          the input is bad: err is ErrFrameTooLarge or a *FormatError
//
// The caller drops used bytes from the front of its buffer and calls Decode
// again, until it gets "need more", then reads more bytes from the stream and
// appends them. msg is a subslice of the buffer (with its capacity clipped to
// its length), so it is only valid until the buffer is changed; copy it to keep
// it. msg is non-nil on success, even for an empty payload. used is never more
// than len(buf) and len(msg) is never more than Max.
//
// The result for a growing buffer is stable: while bytes are appended, Decode
// answers "need more" until the frame is complete and then always the same
// frame; or it answers an error, and then keeps answering an error. An error is
// reported as soon as the bytes that show it have arrived: a malformed header
// byte right away, and a length over Max as soon as the header announcing it is
// complete (often earlier, as soon as its digits pass Max), before any body
// bytes arrive. A delimiter codec reports ErrFrameTooLarge once the buffer
// holds more than Max bytes that cannot be followed by a delimiter in time.
// An error is final: the stream can no longer be parsed and should be closed.
//
// [SplitFunc] adapts a Codec to a [bufio.Scanner].
//
// # Encoding
//
// [Codec.Encode] appends a framed message to a buffer, like the
// strconv.AppendXxx functions. It refuses messages longer than Max with
// ErrFrameTooLarge, and messages the codec cannot frame so that they decode
// back unchanged with a *FormatError: a message of the wrong length for
// [Fixed], a message containing the delimiter for [Line], a length with more
// digits than the [Header] width or too big for a [Uint] prefix. On error,
// Encode returns dst with its original length.
package framing
