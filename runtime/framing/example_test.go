package framing_test

import (
	"fmt"

	"netplay/runtime/framing"
)

// The tutorial's framing: a 10-byte, left-aligned, space-padded decimal length.
func Example() {
	c, err := framing.Header(10, 0)
	if err != nil {
		panic(err)
	}
	var stream []byte
	for _, msg := range []string{"hello", "héllo ✓", ""} {
		stream, _ = c.Encode(stream, []byte(msg))
	}
	fmt.Printf("%q\n", stream)

	// Read side: decode frames from the front of the buffer until Decode
	// asks for more.
	buf := stream[:len(stream)-3] // the last frame has not fully arrived
	for {
		used, msg, err := c.Decode(buf)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if used == 0 {
			fmt.Printf("need more, %d bytes buffered\n", len(buf))
			break
		}
		fmt.Printf("message %q\n", msg)
		buf = buf[used:]
	}

	_, _, err = c.Decode([]byte("-5        hello"))
	fmt.Println(err)
	// Output:
	// "5         hello10        héllo ✓0         "
	// message "hello"
	// message "héllo ✓"
	// need more, 7 bytes buffered
	// bad header: negative length
}

func ExampleNetstring() {
	c := framing.Netstring(0)
	frame, _ := c.Encode(nil, []byte("hello"))
	fmt.Printf("%s\n", frame)
	used, msg, err := c.Decode([]byte("5:hello,0:,"))
	fmt.Println(used, string(msg), err)
	_, _, err = c.Decode([]byte("05:hello,"))
	fmt.Println(err)
	// Output:
	// 5:hello,
	// 8 hello <nil>
	// bad netstring: leading zero
}

func ExampleLine() {
	c, _ := framing.Line("\n", 0)
	buf := []byte("GET / HTTP/1.0\r\nHost: x\n")
	for {
		used, msg, _ := c.Decode(buf)
		if used == 0 {
			break
		}
		fmt.Printf("%q\n", msg)
		buf = buf[used:]
	}
	// Output:
	// "GET / HTTP/1.0"
	// "Host: x"
}
