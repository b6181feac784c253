package netio

// TLS over a socket's stream, with Go's crypto/tls: a connection made with
// TLS, a listener whose connections are TLS, and starttls to upgrade an
// open connection (SMTP, IMAP). Every receive method, the codecs,
// timeouts, shaping and the trace work the same over it: they sit above
// the TLS layer and see the plaintext.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netplay/runtime/wiretrace"
)

// TLSOptions configure one side of a TLS connection.
type TLSOptions struct {
	// Client side.
	ServerName string   // the name the certificate must match (default: the host connected to)
	CA         string   // PEM text, or a PEM file, of the authorities to trust (default: the system's)
	Insecure   bool     // trust any certificate (tests, throwaway servers)
	ALPN       []string // protocols to offer (client) or accept (server)
	// Server side.
	Cert, Key  string // PEM files (or PEM text) of the certificate and its key
	SelfSigned bool   // make a throwaway certificate for localhost, 127.0.0.1 and ::1
}

// TLSCert is a listener's certificate, for a client to trust.
type TLSCert struct {
	tls.Certificate
	PEM []byte // the certificate, PEM encoded
}

// Fingerprint is the certificate's SHA-256, as "sha256:" and hex.
func (c *TLSCert) Fingerprint() string {
	sum := sha256.Sum256(c.Certificate.Certificate[0])
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Leaf is the parsed certificate.
func (c *TLSCert) Leaf() *x509.Certificate {
	leaf, _ := x509.ParseCertificate(c.Certificate.Certificate[0])
	return leaf
}

// readPEM reads PEM text given as text or as a file name.
func readPEM(what, v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("tls: reading the %s: %v", what, err)
	}
	return b, nil
}

// ServerCert loads or makes the certificate of a TLS server.
func (o TLSOptions) ServerCert() (*TLSCert, error) {
	if o.SelfSigned {
		return selfSigned()
	}
	if o.Cert == "" || o.Key == "" {
		return nil, errors.New("tls: a server needs cert and key files, or selfsigned = true")
	}
	certPEM, err := readPEM("certificate", o.Cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readPEM("key", o.Key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls: %v", err)
	}
	return &TLSCert{Certificate: pair, PEM: certPEM}, nil
}

// selfSigned makes a throwaway certificate for localhost, valid for a day.
func selfSigned() (*TLSCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"netplay (self-signed)"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &TLSCert{Certificate: pair, PEM: certPEM}, nil
}

// clientConfig is the crypto/tls configuration of a client connecting to
// host.
func (o TLSOptions) clientConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: o.ServerName, InsecureSkipVerify: o.Insecure, NextProtos: o.ALPN}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if o.CA != "" {
		pemBytes, err := readPEM("authority", o.CA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, errors.New("tls: no certificate in the authority's PEM")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// serverConfig is the crypto/tls configuration of a server with cert.
func (o TLSOptions) serverConfig(cert *TLSCert) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert.Certificate}, NextProtos: o.ALPN}
}

// tlsError says why a handshake failed, in words: "tls: certificate is
// valid for localhost, not example.test", "tls: unknown certificate
// authority".
func tlsError(err error) error {
	var host x509.HostnameError
	var hostp *x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var unknownp *x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var invalidp *x509.CertificateInvalidError
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &hostp):
		return errors.New("tls: " + strings.TrimPrefix(hostp.Error(), "x509: "))
	case errors.As(err, &host):
		return errors.New("tls: " + strings.TrimPrefix(host.Error(), "x509: "))
	case errors.As(err, &unknownp), errors.As(err, &unknown):
		return errors.New("tls: unknown certificate authority")
	case errors.As(err, &invalidp):
		return errors.New("tls: " + strings.TrimPrefix(invalidp.Error(), "x509: "))
	case errors.As(err, &invalid):
		return errors.New("tls: " + strings.TrimPrefix(invalid.Error(), "x509: "))
	case errors.As(err, &alert):
		return errors.New("tls: the peer refused the handshake: " + strings.TrimPrefix(alert.Error(), "tls: "))
	case errors.As(err, &rec):
		return errors.New("tls: the peer does not speak TLS")
	case errors.Is(err, ErrCancelled), errors.Is(err, ErrTimeout), errors.Is(err, ErrClosed):
		return err
	}
	msg := err.Error()
	if i := strings.Index(msg, "tls: "); i >= 0 {
		msg = msg[i+len("tls: "):]
	}
	if strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") {
		return errors.New("tls: the peer closed the connection during the handshake")
	}
	return errors.New("tls: " + msg)
}

// tlsStream is TLS over another stream's connection.
type tlsStream struct {
	inner      stream
	tc         *tls.Conn
	client     bool
	serverName string      // a client's: the name the certificate must match
	mem        *memConn    // the in-process connection under tc, or nil
	done       atomic.Bool // the handshake succeeded
	hs         slot        // the handshake runs once, in the first task to need it
	hsErr      error
	traceTo    func(err error, w Waiter) // reports the handshake to the trace
}

// prefixConn reads the bytes a socket had already buffered before the
// connection's own: TLS that starts after plaintext was read (starttls,
// sniffing a ClientHello) must see the bytes the buffer took.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

func (t *tlsStream) netConn() net.Conn    { return t.tc }
func (t *tlsStream) localAddr() net.Addr  { return t.inner.localAddr() }
func (t *tlsStream) remoteAddr() net.Addr { return t.inner.remoteAddr() }
func (t *tlsStream) closeRead() error     { return t.inner.closeRead() }
func (t *tlsStream) closeWrite() error    { return t.tc.CloseWrite() }
func (t *tlsStream) reset() error         { return t.inner.reset() }
func (t *tlsStream) close() error {
	err := t.tc.Close()
	t.inner.close()
	return err
}

// handshake runs the handshake once; a task that needs it while another
// runs it waits for that one's result.
func (t *tlsStream) handshake(w Waiter, deadline time.Time) error {
	if t.done.Load() {
		return nil
	}
	if err := t.hs.acquire(w, "tls handshake"); err != nil {
		return err
	}
	defer t.hs.release()
	if t.done.Load() {
		return nil
	}
	if t.hsErr != nil {
		return t.hsErr
	}
	var err error
	werr := t.call(w, "tls handshake", deadline, true, true, nil, func(ctx context.Context) error {
		if t.mem == nil && !deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		err = t.tc.HandshakeContext(ctx)
		return nil
	})
	if werr != nil {
		return werr
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			err = ErrTimeout
		}
		t.hsErr = tlsError(err)
		if t.traceTo != nil {
			t.traceTo(t.hsErr, w)
		}
		return t.hsErr
	}
	t.done.Store(true)
	if t.traceTo != nil {
		t.traceTo(nil, w)
	}
	return nil
}

// call runs op, which may block in crypto/tls. Over a real connection it
// runs outside the interpreter (the caller applies the deadline); over the
// in-process network it runs in the task itself, memConn parking it at
// each wait with deadline on the host's clock, so virtual time moves on
// while TLS waits for a peer that sleeps.
func (t *tlsStream) call(w Waiter, what string, deadline time.Time, reading, writing bool, probe func() bool, op func(ctx context.Context) error) error {
	if t.mem == nil {
		return w.Outside(what, probe, op)
	}
	unbind := t.mem.bind(w, deadline, reading, writing)
	defer unbind()
	return op(w.Context())
}

// tryRead returns plaintext the TLS layer can give without waiting: a
// read with a deadline in the past ends at once when nothing is there,
// and crypto/tls keeps the partial record for the next read.
func (t *tlsStream) tryRead(p []byte) (int, error) {
	if !t.done.Load() {
		return 0, errWouldBlock
	}
	t.tc.SetReadDeadline(aLongTimeAgo)
	n, err := t.tc.Read(p)
	t.tc.SetReadDeadline(time.Time{})
	if n == 0 && isTimeout(err) {
		return 0, errWouldBlock
	}
	return n, err
}

func (t *tlsStream) waitRead(w Waiter, what string, deadline time.Time, p []byte) (n int, err error) {
	if err := t.handshake(w, deadline); err != nil {
		return 0, err
	}
	var probe func() bool
	if r, ok := t.inner.(*realStream); ok {
		probe = r.probeRead
	}
	werr := t.call(w, what, deadline, true, false, probe, func(ctx context.Context) error {
		if t.mem == nil {
			defer watch(ctx, deadline, t.tc.SetReadDeadline)()
		}
		n, err = t.tc.Read(p)
		return nil
	})
	if werr != nil {
		return 0, werr
	}
	if n == 0 && err == nil {
		err = errWouldBlock
	}
	return n, err
}

// tryWrite never writes: a TLS write cut short by a deadline leaves the
// connection unusable, so every write goes through waitWrite.
func (t *tlsStream) tryWrite(p []byte) (int, error) { return 0, errWouldBlock }

func (t *tlsStream) waitWrite(w Waiter, deadline time.Time, p []byte) (n int, err error) {
	if err := t.handshake(w, deadline); err != nil {
		return 0, err
	}
	werr := t.call(w, "send", deadline, false, true, nil, func(ctx context.Context) error {
		if t.mem == nil {
			defer watch(ctx, deadline, t.tc.SetWriteDeadline)()
		}
		n, err = t.tc.Write(p)
		return nil
	})
	if werr != nil {
		return n, werr
	}
	return n, err
}

// TLSState describes a TLS connection after its handshake.
type TLSState struct {
	Version, Cipher, ALPN, ServerName string
	PeerSubject                       string    // "" when the peer showed no certificate
	PeerNotAfter                      time.Time // its expiry
}

// TLSInfo is the connection's TLS state, or ok false when it is not TLS
// (or its handshake has not run).
func (s *Socket) TLSInfo() (TLSState, bool) {
	s.mu.Lock()
	t, ok := s.st.(*tlsStream)
	s.mu.Unlock()
	if !ok || !t.done.Load() {
		return TLSState{}, false
	}
	cs := t.tc.ConnectionState()
	st := TLSState{Version: tls.VersionName(cs.Version), Cipher: tls.CipherSuiteName(cs.CipherSuite), ALPN: cs.NegotiatedProtocol, ServerName: cs.ServerName}
	if t.client {
		st.ServerName = t.serverName // what the client checked the certificate against
	}
	if len(cs.PeerCertificates) > 0 {
		st.PeerSubject = cs.PeerCertificates[0].Subject.String()
		st.PeerNotAfter = cs.PeerCertificates[0].NotAfter
	}
	return st, true
}

// StartTLS upgrades a connected stream socket to TLS, as a client
// (opts.ServerName, CA, Insecure) or as a server (cert), and runs the
// handshake now; bytes already buffered are the start of the TLS stream.
func (s *Socket) StartTLS(w Waiter, opts TLSOptions, client bool, cert *TLSCert) error {
	st, err := s.stream()
	if err != nil {
		return err
	}
	if _, ok := st.(*tlsStream); ok {
		return errors.New("tls: the connection is TLS already")
	}
	if err := s.rd.acquire(w, "starttls"); err != nil {
		return err
	}
	buffered := append([]byte(nil), s.rb.Bytes()...)
	s.rb.Consume(s.rb.Len())
	s.rd.release()
	if err := s.wr.acquire(w, "starttls"); err != nil {
		return err
	}
	s.flushBeforeTLS(w, st)
	s.wr.release()
	ts, err := s.wrapTLS(st, buffered, opts, client, cert)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.setStream(ts)
	s.mu.Unlock()
	return ts.handshake(w, s.deadline(w))
}

// flushBeforeTLS writes deferred plaintext before the handshake begins.
func (s *Socket) flushBeforeTLS(w Waiter, st stream) {
	if s.heldLen() > 0 {
		s.writeDeferred(w, st, false)
	}
}

// wrapTLS makes the TLS stream over st's connection.
func (s *Socket) wrapTLS(st stream, buffered []byte, opts TLSOptions, client bool, cert *TLSCert) (*tlsStream, error) {
	var conn net.Conn
	var mem *memConn
	switch inner := st.(type) {
	case *realStream:
		conn = &fdConn{Conn: inner.c, r: inner}
	case *memStream:
		mem = &memConn{s: inner}
		conn = mem
	default:
		return nil, errors.New("tls: this connection cannot carry TLS")
	}
	if len(buffered) > 0 {
		conn = &prefixConn{Conn: conn, prefix: buffered}
	}
	ts := &tlsStream{inner: st, client: client, mem: mem}
	if client {
		host, _, _ := net.SplitHostPort(addrString(st.remoteAddr()))
		cfg, err := opts.clientConfig(host)
		if err != nil {
			return nil, err
		}
		ts.tc = tls.Client(conn, cfg)
		ts.serverName = cfg.ServerName
	} else {
		if cert == nil {
			var err error
			if cert, err = opts.ServerCert(); err != nil {
				return nil, err
			}
		}
		ts.tc = tls.Server(conn, opts.serverConfig(cert))
	}
	ts.traceTo = func(err error, w Waiter) {
		s.Emit(Event{Kind: wiretrace.TLS, Err: err, Ctx: waiterContext(w)})
	}
	return ts, nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// DialTLS is socket.connect(addr, {tls = ...}): a connection, then its
// handshake; a failed handshake closes the connection and says why.
func DialTLS(w Waiter, nw Network, addr string, timeout time.Duration, opts TLSOptions) (*Socket, error) {
	s, err := Dial(w, nw, addr, timeout)
	if err != nil {
		return nil, err
	}
	st, _ := s.stream()
	ts, err := s.wrapTLS(st, nil, opts, true, nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.mu.Lock()
	s.setStream(ts)
	s.mu.Unlock()
	var deadline time.Time
	if timeout > 0 {
		deadline = w.Now().Add(timeout)
	}
	if err := ts.handshake(w, deadline); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ListenTLS makes a listening socket whose accepted connections are TLS
// (their handshake runs at their first read or write, in the task that
// uses them, so a slow client never holds up accept).
func (s *Socket) ListenTLS(opts TLSOptions) (*TLSCert, error) {
	cert, err := opts.ServerCert()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tlsServer = &tlsServer{opts: opts, cert: cert}
	return cert, nil
}

// tlsServer is the TLS a listener's connections get.
type tlsServer struct {
	opts TLSOptions
	cert *TLSCert
}

// TLSCert is a TLS listener's certificate, or nil.
func (s *Socket) TLSCert() *TLSCert {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsServer == nil {
		return nil
	}
	return s.tlsServer.cert
}

// memConn is an in-process connection as a net.Conn, for crypto/tls.
// crypto/tls runs in the calling task (see tlsStream.call), and memConn
// waits the way the in-process network does: parked through the task's
// Waiter, with deadlines on the host's clock, so TLS works under virtual
// time. Outside a call (closing) it never waits.
type memConn struct {
	s      *memStream
	mu     sync.Mutex
	reader Waiter    // the task reading through the conn now, or nil
	writer Waiter    // the task writing through it now, or nil
	rdl    time.Time // their deadlines (the host's clock)
	wdl    time.Time
}

// bind makes reads (and, for writing, writes) wait through w until the
// returned function is called.
func (m *memConn) bind(w Waiter, deadline time.Time, reading, writing bool) (unbind func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if reading {
		m.reader, m.rdl = w, deadline
	}
	if writing {
		m.writer, m.wdl = w, deadline
	}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if reading {
			m.reader, m.rdl = nil, time.Time{}
		}
		if writing {
			m.writer, m.wdl = nil, time.Time{}
		}
	}
}

func (m *memConn) Read(p []byte) (int, error) {
	for {
		n, err := m.s.tryRead(p)
		if err != errWouldBlock {
			return n, err
		}
		m.mu.Lock()
		w, deadline := m.reader, m.rdl
		m.mu.Unlock()
		in := m.s.in
		if err := m.wait(w, "recv", deadline, func(wake func() bool) func() {
			in.mu.Lock()
			defer in.mu.Unlock()
			return in.readers.armLocked(wake, len(in.buf) > 0 || in.eof || in.reset || m.s.isClosed(), &in.mu)
		}); err != nil {
			return 0, err
		}
	}
}

func (m *memConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := m.s.tryWrite(p[written:])
		written += n
		if err == nil {
			continue
		}
		if err != errWouldBlock {
			return written, err
		}
		m.mu.Lock()
		w, deadline := m.writer, m.wdl
		m.mu.Unlock()
		out := m.s.out
		if err := m.wait(w, "send", deadline, func(wake func() bool) func() {
			out.mu.Lock()
			defer out.mu.Unlock()
			return out.writers.armLocked(wake, len(out.buf) < out.max || out.gone || out.reset || m.s.isClosed(), &out.mu)
		}); err != nil {
			return written, err
		}
	}
	return written, nil
}

// wait parks through w; without a task to wait for it fails at once, as a
// read past its deadline does (crypto/tls keeps what it had and tries
// again later).
func (m *memConn) wait(w Waiter, what string, deadline time.Time, arm func(wake func() bool) func()) error {
	if w == nil {
		return os.ErrDeadlineExceeded
	}
	err := w.Park(what, deadline, arm)
	if errors.Is(err, ErrTimeout) {
		return os.ErrDeadlineExceeded
	}
	return err
}

func (m *memConn) Close() error         { return m.s.close() }
func (m *memConn) LocalAddr() net.Addr  { return m.s.local }
func (m *memConn) RemoteAddr() net.Addr { return m.s.remote }
func (m *memConn) CloseWrite() error    { return m.s.closeWrite() }

// The deadlines crypto/tls sets are on the real clock; memConn's come
// from bind, on the host's.
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// fdConn reads a real connection for crypto/tls the way realStream's
// waits do: in the network poller's callback, which marks the read as
// under way before it takes the bytes (the REPL's quiet check sees it),
// and counting what it reads.
type fdConn struct {
	net.Conn
	r *realStream
}

func (f *fdConn) Read(p []byte) (n int, err error) {
	r := f.r
	cerr := r.rc.Read(func(fd uintptr) bool {
		r.ending.Store(true)
		n, err = readFD(fd, p)
		r.consumed.Add(int64(n))
		if err == errWouldBlock {
			r.ending.Store(false)
			return false
		}
		return true
	})
	r.ending.Store(false)
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}
