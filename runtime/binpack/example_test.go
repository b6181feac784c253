package binpack_test

import (
	"errors"
	"fmt"

	"netplay/runtime/binpack"
)

func ExamplePack() {
	b, err := binpack.Pack(">I2 s1 z", int64(0x0102), "hi", "end")
	if err != nil {
		panic(err)
	}
	fmt.Println(binpack.Hex(b))
	// Output: 0102026869656e6400
}

func ExampleUnpack() {
	data := []byte{0x01, 0x02, 0x02, 'h', 'i', 'e', 'n', 'd', 0}
	vals, next, err := binpack.Unpack(">I2 s1 z", data, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(vals, next)
	// Output: [258 hi end] 9
}

func ExamplePackSize() {
	n, _ := binpack.PackSize("!<b i4 d")
	fmt.Println(n)
	// Output: 16
}

func ExampleError() {
	_, err := binpack.Pack("i1", int64(300))
	var e *binpack.Error
	if errors.As(err, &e) {
		// A Lua wrapper adds the argument number and its own name.
		fmt.Printf("bad argument #%d to 'pack' (%s)\n", e.Arg, e.Msg)
	}
	// Output: bad argument #2 to 'pack' (integer overflow)
}

func ExampleUnhex() {
	b, err := binpack.Unhex("48:65 6C6c 6F")
	fmt.Printf("%q %v\n", b, err)
	_, err = binpack.Unhex("48 6")
	fmt.Println(err)
	// Output:
	// "Hello" <nil>
	// odd number of hex digits (unpaired digit at offset 3)
}

func ExampleHexdump() {
	fmt.Print(binpack.Hexdump([]byte("Hello, binpack!\n\x00\x01")))
	// Output:
	// 00000000: 4865 6c6c 6f2c 2062 696e 7061 636b 210a  Hello, binpack!.
	// 00000010: 0001                                     ..
}
