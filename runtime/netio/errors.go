package netio

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Errors every receive and send method can return. Their texts are the
// short strings scripts see (SPEC.md).
var (
	ErrTimeout   = errors.New("timeout")
	ErrClosed    = errors.New("closed")
	ErrCancelled = errors.New("cancelled")
	// ErrTooLong: recv_until found no delimiter within its maximum.
	ErrTooLong = errors.New("too long")
	// ErrTooManyFiles: the process is at its limit of open files (accept
	// pauses before it reports it, see Socket.Accept).
	ErrTooManyFiles = errors.New("too many open files")
)

// errnoMessages are the short texts for the socket errors a learner meets.
var errnoMessages = map[syscall.Errno]string{
	syscall.ECONNREFUSED:  "connection refused",
	syscall.ECONNRESET:    "connection reset",
	syscall.ECONNABORTED:  "connection aborted",
	syscall.EPIPE:         "closed",
	syscall.EADDRINUSE:    "address already in use",
	syscall.EADDRNOTAVAIL: "address not available",
	syscall.EHOSTUNREACH:  "host unreachable",
	syscall.ENETUNREACH:   "network unreachable",
	syscall.EACCES:        "permission denied",
	syscall.ENOENT:        "no such file or directory",
	syscall.EMSGSIZE:      "message too long",
	syscall.EMFILE:        "too many open files",
	syscall.ENFILE:        "too many open files",
}

// Message maps a Go error from a socket operation to the short lowercase
// string scripts see: "timeout", "closed", "connection refused", ...
func Message(err error) string {
	var errno syscall.Errno
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, ErrBudget):
		return ErrBudget.Error()
	case errors.Is(err, ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.As(err, &errno):
		if m, ok := errnoMessages[errno]; ok {
			return m
		}
		return errno.Error()
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host not found: " + dnsErr.Name
		}
		return "dns: " + dnsErr.Err
	case errors.As(err, &addrErr):
		return "bad address: " + addrErr.Err + ": " + addrErr.Addr
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return "timeout"
	}
	return lowerFirst(err.Error())
}

// lowerFirst lowercases a message's first letter when the word it starts
// is not an acronym ("Connection refused" -> "connection refused", but
// "TLS ..." and names inside the message stay as written).
func lowerFirst(msg string) string {
	if len(msg) >= 2 && msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z') {
		return strings.ToLower(msg[:1]) + msg[1:]
	}
	return msg
}
