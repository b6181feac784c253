package lualib_test

import "netplay/runtime/host"

func hostOptions(name string) host.SpawnOptions { return host.SpawnOptions{Name: name} }
