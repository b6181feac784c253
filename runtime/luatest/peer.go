package luatest

import (
	"net"
	"sync"
	"testing"
)

// ServeTCP runs a test peer on 127.0.0.1 with an OS-chosen port, calling
// handle for every connection in its own goroutine (which closes the
// connection when handle returns). The listener closes and every handler
// is waited for when the test ends.
func ServeTCP(t testing.TB, handle func(net.Conn)) net.Addr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr()
}
