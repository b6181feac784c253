package lualib_test

import (
	"io"
	"net"

	"netplay/runtime/host"
	"netplay/runtime/lualib"
)

func hostOptions(name string) host.SpawnOptions { return host.SpawnOptions{Name: name} }

func lualibHost(stdout, stderr io.Writer, onListen func(net.Addr)) (*host.Host, error) {
	return lualib.NewHost(host.Options{Stdout: stdout, Stderr: stderr, OnListen: onListen})
}
