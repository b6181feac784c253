package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certFiles writes a certificate for localhost, 127.0.0.1 and ::1 and its
// key as PEM files, and returns their paths.
func certFiles(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(k)
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return cert, key
}

func needPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed for the TLS interop tests")
		}
		t.Skip("no python3 (apt-get install python3)")
	}
	return py
}

// Interop with something we did not write: Python's ssl module as the
// client of a netplay TLS server, and as the server of a netplay client.
func TestTLSWithPythonSSL(t *testing.T) {
	py := needPython(t)
	cert, key := certFiles(t)

	t.Run("python client, netplay server", func(t *testing.T) {
		server := writeScript(t, "server.lua", `
			local srv = assert(socket.listen("127.0.0.1:0", {tls = {cert = arg[1], key = arg[2]}}))
			while true do
				local c = srv:accept()
				if c then
					local line = c:recv_until("\n")
					c:sendall((line or "?"):upper() .. " via " .. c:tlsinfo().version .. "\n")
					c:close()
				end
			end
		`)
		srv := startServer(t, "run", server, cert, key)
		client := `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"hello from python\n")
        print(s.makefile().readline().strip())
`
		_, port, _ := net.SplitHostPort(srv.addr.String())
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, py, "-c", client, port, cert).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "HELLO FROM PYTHON via TLS 1.") {
			t.Fatalf("python: %v\n%s", err, out)
		}
	})

	t.Run("netplay client, python server", func(t *testing.T) {
		server := `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.create_server(("127.0.0.1", 0))
print(ls.getsockname()[1], flush=True)
conn, _ = ls.accept()
with ctx.wrap_socket(conn, server_side=True) as s:
    data = s.recv(100)
    s.sendall(b"python got " + data)
`
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, py, "-c", server, cert, key)
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		port, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		client := writeScript(t, "client.lua", `
			local c = assert(socket.connect("127.0.0.1", arg[1], {tls = {ca = arg[2], servername = "localhost"}}))
			c:sendall("tls hello")
			print(c:recv(100))
			print(c:tlsinfo().peer.subject)
		`)
		r := runCLI(t, "run", client, strings.TrimSpace(port), cert)
		if r.status != exitOK || r.stdout != "python got tls hello\nCN=localhost\n" {
			t.Fatalf("status %d\nstdout %q\nstderr %q", r.status, r.stdout, r.stderr)
		}
	})
}

// The bundled TLS stages end to end: the server saves its certificate,
// the client trusts it and echoes three lines.
func TestTLSScripts(t *testing.T) {
	pemFile := filepath.Join(t.TempDir(), "server.pem")
	srv := startServer(t, "run", "tls/echo_server", "127.0.0.1:0", pemFile)
	if !srv.stdout.WaitFor("certificate saved to", testTimeout) {
		t.Fatalf("the server did not save its certificate: %q", srv.stdout.String())
	}
	r := runCLI(t, "run", "tls/client", srv.addr.String(), pemFile)
	want := "echo: hello\necho: over TLS\necho: bye\n"
	if r.status != exitOK || !strings.HasPrefix(r.stdout, "connected with TLS 1.") || !strings.HasSuffix(r.stdout, want) {
		t.Fatalf("status %d\nstdout %q\nstderr %q", r.status, r.stdout, r.stderr)
	}
	bad := runCLI(t, "run", "tls/client", srv.addr.String(), certFilesOnly(t))
	if bad.status != exitError || bad.stdout != "could not connect: tls: unknown certificate authority\n" {
		t.Fatalf("an untrusted certificate: status %d stdout %q", bad.status, bad.stdout)
	}
}

func certFilesOnly(t *testing.T) string {
	cert, _ := certFiles(t)
	return cert
}

// TLS over the virtual network follows the virtual clock: handshakes,
// reads that wait for a sleeping peer, and timeouts land at exact
// virtual times (testdata/tls/virtual_test.lua).
func TestTLSInVirtualTime(t *testing.T) {
	r := runCLI(t, "test", "testdata/tls")
	if r.status != 0 || r.stdout != "4 passed, 0 failed\n" {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}
