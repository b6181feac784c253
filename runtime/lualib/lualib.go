// Package lualib holds netplay's Lua modules, one file each, and the
// ordered list the host installs them from (like gopher-lua's linit.go).
//
// Every module follows one shape: an Open<Module>(L) loader, a map of
// module functions, a map of methods per userdata type, a type-name
// constant and one checker per type. I/O failures return nil, err[, partial]
// through pushIOError; misuse raises through L.ArgError.
package lualib

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/framing"
	"netplay/runtime/host"
	"netplay/runtime/netio"
)

// Modules is every module netplay gives scripts, in load order, with the
// fields that are also globals.
var Modules = []host.Module{
	{Name: "socket", Loader: OpenSocket},
	{Name: "task", Loader: OpenTask, Globals: []string{"spawn", "yield"}},
	{Name: "sync", Loader: OpenSync, Globals: []string{"wait_any", "wait_all"}},
	{Name: "timer", Loader: OpenTimer, Globals: []string{"sleep", "now", "monotonic", "after", "every"}},
	{Name: "script", Loader: OpenScript, Globals: []string{"run"}},
	{Name: "trace", Loader: OpenTrace},
	{Name: "frame", Loader: OpenFrame},
	{Name: "bin", Loader: OpenBin},
	{Name: "json", Loader: OpenJSON},
	{Name: "replay", Loader: OpenReplay},
	{Name: "bit", Loader: OpenBit},
}

// NewHost returns a host with every netplay module installed.
func NewHost(opts host.Options) (*host.Host, error) {
	h := host.New(opts)
	if err := h.Install(Modules); err != nil {
		h.Close()
		return nil, err
	}
	OpenStdio(h.L)
	registerPair(h.L)
	installMethodHint(h.L)
	OpenTableExtras(h.L)
	installRequire(h.L)
	// gopher-lua's channel module waits holding the interpreter (every
	// task froze on ch:receive()); sync.queue does its job.
	h.L.SetGlobal("channel", lua.LNil)
	if loaded, ok := h.L.GetField(h.L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		loaded.RawSetString("channel", lua.LNil)
	}
	return h, nil
}

// misuse lists the errors that mean the call cannot make sense in the
// socket's state; they raise instead of returning nil, err.
var misuse = []error{
	netio.ErrNotConnected, netio.ErrNotListening, netio.ErrInUse,
	netio.ErrNotStream, netio.ErrNotDatagram,
}

// pushIOError pushes the result of a failed I/O call: nil, the short error
// string and, when partial is not nil, the bytes received so far. Misuse
// errors raise instead, naming argument 1 (the object).
func pushIOError(L *lua.LState, err error, partial []byte) int {
	for _, m := range misuse {
		if errors.Is(err, m) {
			L.ArgError(1, err.Error())
		}
	}
	L.Push(lua.LNil)
	L.Push(lua.LString(errorMessage(err)))
	if partial != nil {
		L.Push(lua.LString(partial))
		return 3
	}
	return 2
}

// errorMessage is the short string a script sees for err: a codec's
// message as it is, the socket errors through netio.Message.
func errorMessage(err error) string {
	var fe *framing.FormatError
	if errors.As(err, &fe) || errors.Is(err, framing.ErrFrameTooLarge) {
		return err.Error()
	}
	return netio.Message(err)
}

// checkSeconds reads a duration in seconds at n: a number >= 0 (not NaN).
// Every function that takes a time refuses the others with one message.
func checkSeconds(L *lua.LState, n int) float64 {
	s := float64(L.CheckNumber(n))
	if s < 0 || s != s {
		L.ArgError(n, "seconds must be >= 0")
	}
	return s
}

// maxWait is the longest wait a time.Duration holds (292 years); longer
// ones (math.huge, 1e308) mean forever.
const maxWait = time.Duration(math.MaxInt64)

// duration converts seconds to a time.Duration; forever is true when it
// does not fit (a wait that never ends).
func duration(s float64) (d time.Duration, forever bool) {
	ns := s * float64(time.Second)
	if ns >= float64(maxWait) {
		return maxWait, true
	}
	return time.Duration(ns), false
}

// seconds converts seconds to a time.Duration, saturating at maxWait.
func seconds(s float64) time.Duration {
	d, _ := duration(s)
	return d
}

// optDeadline reads an optional timeout in seconds at n and returns the
// deadline on the host's clock: the zero time (none) when it is nil or too
// long to ever pass.
func optDeadline(L *lua.LState, n int) time.Time {
	if L.Get(n) == lua.LNil {
		return time.Time{}
	}
	d, forever := duration(checkSeconds(L, n))
	if forever {
		return time.Time{}
	}
	return host.Of(L).Clock().Now().Add(d)
}

// checkCount reads a byte count at n: a whole number >= 0.
func checkCount(L *lua.LState, n int) int {
	v := float64(L.CheckNumber(n))
	if v < 0 || v != float64(int(v)) {
		L.ArgError(n, "count must be a whole number >= 0")
	}
	return int(v)
}

// checkAddr reads an address starting at argument n, in any of the forms
// the API takes: "host:port", "[v6]:port", a Unix path, (host, port), or
// a table {host, port} as in Python's bind((host, port)). It returns the
// address and the index of the next argument.
func checkAddr(L *lua.LState, n int) (string, int) {
	switch v := L.Get(n).(type) {
	case *lua.LTable:
		host, port := v.RawGetInt(1), v.RawGetInt(2)
		if host.Type() != lua.LTString || (port.Type() != lua.LTNumber && port.Type() != lua.LTString) {
			L.ArgError(n, "address table must be {host, port}")
		}
		return net.JoinHostPort(host.String(), port.String()), n + 1
	case lua.LString:
		s := string(v)
		if hasPort(s) || strings.Contains(s, "/") {
			return s, n + 1
		}
		if p, ok := portArg(L.Get(n + 1)); ok {
			return net.JoinHostPort(s, p), n + 2
		}
		L.ArgError(n, fmt.Sprintf("address %q has no port (use \"host:port\" or host, port)", s))
	case lua.LNumber:
		L.ArgError(n, "address expected, got a number (use \"host:port\" or host, port)")
	default:
		L.ArgError(n, "address expected, got "+v.Type().String())
	}
	return "", n
}

func hasPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != ""
}

func portArg(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return v.String(), true
	case lua.LString:
		if _, err := strconv.Atoi(string(v)); err == nil {
			return string(v), true
		}
	}
	return "", false
}

// newUserData makes a userdata holding v with the named metatable.
func newUserData(L *lua.LState, v any, typeName string) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	L.SetMetatable(ud, L.GetTypeMetatable(typeName))
	return ud
}

// checkUserData returns the Go value of type T in the userdata at argument
// n, raising "bad argument #n (<expected>)" for anything else. Each type's
// checker (checkSocket, checkTask, ...) is a call of it.
func checkUserData[T any](L *lua.LState, n int, expected string) T {
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	L.ArgError(n, expected)
	var zero T
	return zero
}

// newType registers a metatable for a userdata type with methods (reached
// through __index) and extra metamethods.
func newType(L *lua.LState, typeName string, methods map[string]lua.LGFunction, meta map[string]lua.LGFunction) {
	mt := L.NewTypeMetatable(typeName)
	L.SetField(mt, "__index", L.SetFuncs(L.NewTable(), methods))
	L.SetFuncs(mt, meta)
	L.SetField(mt, "__name", lua.LString(typeName))
}
