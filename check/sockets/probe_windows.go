package sockets

import (
	"context"
	"net"
	"net/netip"

	"golang.org/x/sys/windows"
)

// The bind errors Probe tells apart, as Winsock spells them: Go's syscall
// package maps EADDRINUSE and friends to invented numbers on Windows, so
// errors.Is against them would never match a real bind error.
const (
	errAddrInUse    = windows.WSAEADDRINUSE
	errAccess       = windows.WSAEACCES
	errAddrNotAvail = windows.WSAEADDRNOTAVAIL
)

func setV6Only(fd uintptr) error {
	return windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, 1)
}

// probeTCP listens and closes at once: on Windows a listener is what the
// engine (com.docker.backend) opens, without SO_REUSEADDR as Go does.
func probeTCP(lc net.ListenConfig, network string, addr netip.Addr, port uint16) error {
	l, err := lc.Listen(context.Background(), network, netip.AddrPortFrom(addr, port).String())
	if err == nil {
		l.Close()
	}
	return err
}
