// Command goecho is a plain Go echo server for the tutorial's framing (a
// 10-byte header: the payload length in ASCII decimal, left-aligned and
// space-padded, then the payload): the baseline netplay bench compares a
// server with. A goroutine per connection, 64 KiB bufio buffers on both
// sides, and replies flushed only when no more request bytes are already
// read, so requests that came together go back together.
//
//	go run ./testdata/bench/goecho [host:]port      (host defaults to 127.0.0.1)
//
// It uses the standard library only, so it measures Go, not netplay.
package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
)

const (
	headerSize = 10
	maxPayload = 1 << 20
	bufferSize = 64 << 10 // a 4096-byte payload and its header fit in one write
)

// parseLength reads a header: one or more digits, then spaces.
func parseLength(h []byte) (int, bool) {
	n, i := 0, 0
	for ; i < len(h) && '0' <= h[i] && h[i] <= '9'; i++ {
		if n = n*10 + int(h[i]-'0'); n > maxPayload {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	for ; i < len(h); i++ {
		if h[i] != ' ' {
			return 0, false
		}
	}
	return n, true
}

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, bufferSize)
	w := bufio.NewWriterSize(c, bufferSize)
	var header [headerSize]byte
	payload := make([]byte, 0, 4096)
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			return
		}
		n, ok := parseLength(header[:])
		if !ok {
			return
		}
		if cap(payload) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		// a fresh header, as a server that handles the message would
		out := strconv.AppendInt(header[:0], int64(n), 10)
		for len(out) < headerSize {
			out = append(out, ' ')
		}
		w.Write(out)
		w.Write(payload)
		if r.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goecho [host:]port")
		os.Exit(2)
	}
	addr := os.Args[1]
	if !strings.Contains(addr, ":") {
		addr = "127.0.0.1:" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("goecho: listening on %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go serve(c)
	}
}
