package lualib_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A client that pipelines large frames and reads the echoes through a
// small receive window gets every byte back, in order: the server's held
// replies meet short writes (the window takes part of them), and what a
// write leaves is kept for the next.
func TestPipelinedEchoReachesASlowReaderWhole(t *testing.T) {
	addr := startLuaServer(t, echoServerLua)
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		})
		return cmpErr(err, serr)
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))

	var sent []byte
	sizes := []int{4096, 100, 30000, 2000, 1024, 7, 4096, 4096, 65000}
	for i := range 640 { // 7.9 MB: more than the server's send buffer takes
		n := sizes[i%len(sizes)]
		sent = fmt.Appendf(sent, "%-10d", n)
		sent = append(sent, bytes.Repeat([]byte{byte('a' + i%26)}, n)...)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := conn.Write(sent) // all at once: the server finds frames buffered
		wrote <- err
	}()
	got := make([]byte, 0, len(sent))
	buf := make([]byte, 1024) // small reads, through a small window
	for len(got) < len(sent) {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF || err != nil {
			t.Fatalf("after %d of %d bytes: %v", len(got), len(sent), err)
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		i := 0
		for i < len(got) && got[i] == sent[i] {
			i++
		}
		t.Fatalf("echo differs from what was sent at byte %d of %d", i, len(sent))
	}
}

// cmpErr is the first error of a and b.
func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
