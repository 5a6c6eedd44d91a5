package testutil

import (
	"io"
	"net/netip"

	"golang.org/x/sys/unix"
)

type fdCloser int

func (f fdCloser) Close() error { return unix.Close(int(f)) }

// BoundOnly binds a TCP socket to the IPv4 addr without listening:
// invisible to /proc/net and ss -l, yet in the way of the engine's bind
// unless both sides set SO_REUSEADDR (reuse sets it on this one).
func BoundOnly(addr string, reuse bool) (io.Closer, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return fdCloser(fd), nil
}
