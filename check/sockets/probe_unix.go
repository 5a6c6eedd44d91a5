//go:build unix

package sockets

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// The bind errors Probe tells apart, as this OS spells them.
const (
	errAddrInUse    = unix.EADDRINUSE
	errAccess       = unix.EACCES
	errAddrNotAvail = unix.EADDRNOTAVAIL
)

func setV6Only(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
}

// probeTCP binds a TCP socket to addr:port without listening, with
// SO_REUSEADDR as Go's and the engines' listeners set it on Unix (so a
// server-side TIME_WAIT socket does not count as busy), and IPV6_V6ONLY
// for IPv6 as Docker sets it.
func probeTCP(_ net.ListenConfig, _ string, addr netip.Addr, port uint16) error {
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Addr: addr.As16(), Port: int(port)}
	if addr.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Addr: addr.As4(), Port: int(port)}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return fmt.Errorf("probe socket: %w", err)
	}
	unix.CloseOnExec(fd)
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("probe SO_REUSEADDR: %w", err)
	}
	if addr.Is6() {
		if err := setV6Only(uintptr(fd)); err != nil {
			return fmt.Errorf("probe IPV6_V6ONLY: %w", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return &net.OpError{Op: "bind", Net: "tcp", Addr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, port)), Err: err}
	}
	return nil
}
