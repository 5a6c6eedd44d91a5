package main

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// fdCloser closes a raw socket.
type fdCloser int

func (f fdCloser) Close() error { return unix.Close(int(f)) }

// boundOnly binds a TCP socket to addr without listening: invisible to
// /proc/net and ss -l, yet in the way of the engine's bind.
func boundOnly(addr string) (interface{ Close() error }, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return fdCloser(fd), nil
}
