package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ErrRemote is CheckTestAddress's answer for an address outside the test
// ranges.
var ErrRemote = errors.New("not a loopback or private address")

// testPrefixes are the ranges a tool may target without leave: loopback
// and the private ranges of RFC 1918 and RFC 4193.
var testPrefixes = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
}

// CheckTestAddress is the address policy of the tools that aim traffic
// at a program (netplay bench, netplay replay): it accepts "host:port"
// when host is "localhost" or an IP in 127.0.0.0/8, ::1, 10/8, 172.16/12,
// 192.168/16 or fc00::/7. Any other host, a host name included (it could
// resolve anywhere), is ErrRemote.
func CheckTestAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: want host:port", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port in %q", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%s: %w (a host name other than localhost)", addr, ErrRemote)
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range testPrefixes {
		if p.Contains(ip) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", addr, ErrRemote)
}
