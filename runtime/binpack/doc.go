// Package binpack implements Lua 5.3's string.pack, string.unpack and
// string.packsize format language in plain Go, plus hex helpers (Hex, Unhex,
// Hexdump). It knows nothing about any Lua implementation: values are plain
// Go values (see Value), so a Lua module wrapper can sit on top of it.
//
// # Format language (Lua 5.3 reference manual §6.4.2)
//
// A format string is a sequence of options. Spaces are ignored. The options
// are:
//
//	<        sets little endian
//	>        sets big endian
//	=        sets native endian (little endian here)
//	![n]     sets maximum alignment to n (default: native alignment, 8)
//	b        a signed byte (char)
//	B        an unsigned byte
//	h        a signed short (2 bytes)
//	H        an unsigned short (2 bytes)
//	l        a signed long (8 bytes)
//	L        an unsigned long (8 bytes)
//	j        a lua_Integer (8 bytes)
//	J        a lua_Unsigned (8 bytes)
//	T        a size_t (8 bytes)
//	i[n]     a signed int with n bytes (default 4), 1 <= n <= 16
//	I[n]     an unsigned int with n bytes (default 4), 1 <= n <= 16
//	f        a float (IEEE 754 single precision, 4 bytes)
//	d        a double (IEEE 754 double precision, 8 bytes)
//	n        a lua_Number (a double, 8 bytes)
//	s[n]     a string preceded by its length coded as an unsigned integer
//	         with n bytes (default 8, a size_t), 1 <= n <= 16
//	z        a zero-terminated string
//	x        one byte of padding (a zero byte when packing)
//	Xop      an empty item that aligns according to option op (which is
//	         otherwise ignored)
//	' '      (space) ignored
//	c[n]     a fixed-size string with n bytes (the size is mandatory)
//
// A format starts as "<!1": little endian, no alignment. Endianness and
// maximum alignment options apply to all the options that follow them.
//
// Alignment works as follows: for each option, the format gets extra padding
// until the data starts at an offset that is a multiple of the minimum
// between the option size and the maximum alignment; this minimum must be a
// power of 2 (otherwise the format fails with "format asks for alignment not
// power of 2"). Options "c" and "z" are not aligned; option "s" follows the
// alignment of its starting integer. With the default maximum alignment of 1
// nothing is ever aligned. Unpack aligns relative to the start of the data
// (so the initial position matters), Pack and PackSize relative to the start
// of the result.
//
// Integers wider than 8 bytes (i9..i16, I9..I16, s9..s16) are sign- or
// zero-extended when packed; when unpacked, the extra bytes must be a plain
// extension of the 8-byte value, else the error is
// "N-byte integer does not fit into Lua Integer". Packing into fewer than 8
// bytes checks for overflow ("integer overflow", "unsigned overflow"); 8-byte
// and wider options wrap like Lua's integers do.
//
// # Values
//
// Unpack returns integers as int64 (an unsigned 8-byte value above
// math.MaxInt64 comes back wrapped to a negative int64, exactly as in Lua),
// floats as float64 and strings as string. Pack accepts, for integer options,
// any Go integer or a float64/float32 with an exact integer value, or a
// string that Lua would convert to a number; for float options any Go number
// or such a string; for string options a string, a []byte, or a number (which
// is converted to a string the way Lua 5.3 does: integers with %d, floats
// with %.14g plus ".0" when they look like an integer). uint64 (and uint,
// uintptr) values are reinterpreted bit for bit as int64, like Lua's
// lua_Unsigned to lua_Integer cast.
//
// # Errors
//
// All errors from Pack, Unpack, PackSize and Unhex are *Error values whose
// Error() text is the bare message Lua 5.3 would give (for example
// "integer overflow"), and whose Arg field tells which Lua argument it
// concerns (1 = the format, 2.. = the values for Pack, 2 = the data and 3 =
// the initial position for Unpack; 0 = a plain error without an argument
// number), so that a Lua wrapper can build
// "bad argument #2 to 'pack' (integer overflow)".
//
// # Differences from Lua 5.3.6
//
//   - Unpack of "z" fails with "unfinished string for format 'z'" when no
//     terminating zero byte is left in the data (Lua 5.3.6 silently reads
//     the hidden terminator of its strings and returns a next position past
//     the end; Lua 5.4 raises this error).
//   - Unpack of "s[n]" whose length field is near 2^64 fails with
//     "data string too short" (Lua 5.3.6's check overflows).
//   - Pack fails with "format result too large" if the result would exceed
//     MaxSize bytes (Lua 5.3 only checks this in string.packsize).
//   - Unpack fails with "too many results" beyond MaxResults values (Lua fails
//     with "stack overflow" near the same count).
package binpack
