package testrunner

import "netplay/runtime/lualib"

// api documents expect and testing for :help and the README check (the
// README's "expect and testing" tables hold these signatures).
var api = []lualib.Doc{
	{Module: "expect", Sig: "expect.eq(got, want[, msg])", Does: "deep equality; a failure shows the first difference (string offset, table path)"},
	{Module: "expect", Sig: "expect.ne(got, other[, msg])", Does: "not deeply equal"},
	{Module: "expect", Sig: "expect.near(got, want, tol[, msg])", Does: "numbers at most tol apart"},
	{Module: "expect", Sig: "expect.error(fn, pattern[, msg])", Does: "fn() raises an error matching pattern; returns the message"},
	{Module: "expect", Sig: "expect.truthy(v[, msg])", Does: "v is neither nil nor false; returns v"},
	{Module: "testing", Sig: "testing.virtual_time()", Does: "a top-level statement: the whole file runs in virtual time"},
	{Module: "testing", Sig: "testing.skip(reason)", Does: "end the test here, counted as skipped"},
	{Module: "testing", Sig: "testing.server(handler[, opts])", Does: "listen on 127.0.0.1:0 and run handler(conn) for each connection: addr, srv (srv:close() stops it)"},
	{Module: "testing", Sig: "testing.echo_server([opts])", Does: "a testing.server that sends back each frame or the bytes: addr, srv"},
	{Module: "testing", Sig: "testing.free_addr([\"udp\"])", Does: "a loopback address nothing listens on just now, for a server script the test starts"},
	{Module: "testing", Sig: "testing.cleanup(fn)", Does: "fn() runs after the test and teardown, even after a failure"},
	{Module: "testing", Sig: "testing.output()", Does: "what the test has printed so far"},
}

func init() { lualib.RegisterAPI(Modules, api, nil) }
