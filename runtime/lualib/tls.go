package lualib

// TLS, from Lua (Go's crypto/tls underneath; no hand-written crypto).
//
//	socket.connect(addr, {tls = true | {servername =, ca =, insecure =, alpn = {...}}, timeout = S})
//	socket.listen(addr, {tls = {cert = PEMFILE, key = PEMFILE} | {selfsigned = true}})
//	s:starttls([opts])        upgrade an open connection (opts as above; server side:
//	                          {server = true, cert =, key =} or {selfsigned = true})
//	s:tlsinfo() -> table      version, cipher, alpn, servername, peer = {subject, not_after};
//	                          on a TLS listener: fingerprint, subject, not_after
//	srv:certificate_pem()     a TLS listener's certificate, for a client's `ca`

import (
	lua "github.com/yuin/gopher-lua"

	"netplay/runtime/netio"
)

// tlsOptions reads the TLS options at argument n: true, or a table.
func tlsOptions(L *lua.LState, n int, v lua.LValue) (opts netio.TLSOptions, server bool) {
	switch v := v.(type) {
	case lua.LBool:
		if !v {
			L.ArgError(n, "tls = true or a table of options")
		}
		return opts, false
	case *lua.LTable:
		str := func(k string) string {
			switch x := v.RawGetString(k).(type) {
			case lua.LString:
				return string(x)
			case *lua.LNilType:
				return ""
			}
			L.ArgError(n, "tls."+k+" must be a string")
			return ""
		}
		opts.ServerName = str("servername")
		opts.CA = str("ca")
		opts.Cert = str("cert")
		opts.Key = str("key")
		opts.Insecure = lua.LVAsBool(v.RawGetString("insecure"))
		opts.SelfSigned = lua.LVAsBool(v.RawGetString("selfsigned"))
		server = lua.LVAsBool(v.RawGetString("server")) || opts.Cert != "" || opts.SelfSigned
		switch a := v.RawGetString("alpn").(type) {
		case *lua.LTable:
			for i := 1; i <= a.Len(); i++ {
				opts.ALPN = append(opts.ALPN, a.RawGetInt(i).String())
			}
		case lua.LString:
			opts.ALPN = []string{string(a)}
		case *lua.LNilType:
		default:
			L.ArgError(n, "tls.alpn must be a list of protocol names")
		}
		return opts, server
	}
	L.ArgError(n, "tls = true or a table of options")
	return opts, false
}

// connectOptions reads socket.connect's options at n: a timeout in
// seconds, or a table {tls = ..., timeout = S}.
func connectOptions(L *lua.LState, n int) (timeout float64, tls *netio.TLSOptions) {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return 0, nil
	case lua.LNumber:
		return checkSeconds(L, n), nil
	case *lua.LTable:
		if t := v.RawGetString("timeout"); t != lua.LNil {
			f, ok := t.(lua.LNumber)
			if !ok || f < 0 || f != f {
				L.ArgError(n, "timeout must be seconds >= 0")
			}
			timeout = float64(f)
		}
		if t := v.RawGetString("tls"); t != lua.LNil {
			o, _ := tlsOptions(L, n, t)
			tls = &o
		}
		return timeout, tls
	}
	L.ArgError(n, "a timeout in seconds or a table of options expected")
	return 0, nil
}

// listenTLS sets up TLS on a new listening socket when the options at n
// ask for it: socket.listen(addr, {tls = {...}}).
func listenTLS(L *lua.LState, n int, s *netio.Socket) error {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		return nil
	}
	v := t.RawGetString("tls")
	if v == lua.LNil {
		return nil
	}
	opts, _ := tlsOptions(L, n, v)
	_, err := s.ListenTLS(opts)
	return err
}

// sockStarttls implements s:starttls([opts]) -> true | nil, err: the
// connection goes on in TLS, as a client (the default) or as a server
// (opts.server, opts.cert and key, or opts.selfsigned). The handshake runs
// now; plaintext already buffered is where TLS starts.
func sockStarttls(L *lua.LState) int {
	s := checkSocket(L, 1)
	var opts netio.TLSOptions
	server := false
	if L.Get(2) != lua.LNil {
		opts, server = tlsOptions(L, 2, L.CheckTable(2))
	}
	w := newWaiter(L)
	if err := s.StartTLS(w, opts, !server, nil); err != nil {
		return netFailure(L, w, err, nil)
	}
	L.Push(lua.LTrue)
	return 1
}

// sockTlsinfo implements s:tlsinfo() -> table | nil: a TLS connection's
// version, cipher, alpn, servername and peer = {subject, not_after}; a TLS
// listener's fingerprint, subject and not_after; nil otherwise.
func sockTlsinfo(L *lua.LState) int {
	s := checkSocket(L, 1)
	t := L.NewTable()
	if cert := s.TLSCert(); cert != nil {
		leaf := cert.Leaf()
		t.RawSetString("fingerprint", lua.LString(cert.Fingerprint()))
		t.RawSetString("subject", lua.LString(leaf.Subject.String()))
		t.RawSetString("not_after", lua.LString(leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z")))
		L.Push(t)
		return 1
	}
	st, ok := s.TLSInfo()
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	t.RawSetString("version", lua.LString(st.Version))
	t.RawSetString("cipher", lua.LString(st.Cipher))
	if st.ALPN != "" {
		t.RawSetString("alpn", lua.LString(st.ALPN))
	}
	if st.ServerName != "" {
		t.RawSetString("servername", lua.LString(st.ServerName))
	}
	if st.PeerSubject != "" {
		peer := L.NewTable()
		peer.RawSetString("subject", lua.LString(st.PeerSubject))
		peer.RawSetString("not_after", lua.LString(st.PeerNotAfter.UTC().Format("2006-01-02T15:04:05Z")))
		t.RawSetString("peer", peer)
	}
	L.Push(t)
	return 1
}

// sockCertificatePem implements srv:certificate_pem() -> PEM text: a TLS
// listener's certificate, for a client's {ca = ...}.
func sockCertificatePem(L *lua.LState) int {
	s := checkSocket(L, 1)
	cert := s.TLSCert()
	if cert == nil {
		L.ArgError(1, "not a TLS listener")
	}
	L.Push(lua.LString(cert.PEM))
	return 1
}

// tlsString is the mark tostring puts on a TLS socket.
func tlsString(s *netio.Socket) string {
	if _, ok := s.TLSInfo(); ok {
		return " tls"
	}
	if s.TLSCert() != nil {
		return " tls"
	}
	return ""
}
