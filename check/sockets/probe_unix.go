//go:build unix

package sockets

import "golang.org/x/sys/unix"

// The bind errors Probe tells apart, as this OS spells them.
const (
	errAddrInUse    = unix.EADDRINUSE
	errAccess       = unix.EACCES
	errAddrNotAvail = unix.EADDRNOTAVAIL
)

func setV6Only(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
}
