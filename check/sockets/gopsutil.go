package sockets

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"syscall"

	gnet "github.com/shirou/gopsutil/v4/net"
)

// ListGopsutil lists TCP listeners and bound UDP sockets through gopsutil's
// net.Connections, normalised to this package's conventions. It is List on
// every OS but Linux. It works on Linux too, but there it walks every
// /proc/PID/fd before reading the table (tens to hundreds of ms under load),
// and it collapses SO_REUSEPORT twins and cannot tell V6ONLY: it exists there
// for comparison only.
//
// It calls Connections, the one entry point implemented everywhere:
// ConnectionsWithoutUids and ConnectionsMax return ErrNotImplemented on
// darwin, freebsd and windows.
func ListGopsutil(ctx context.Context) ([]Socket, error) {
	conns, err := gnet.ConnectionsWithContext(ctx, "inet")
	if err != nil {
		return nil, fmt.Errorf("list sockets with gopsutil: %w", err)
	}
	socks := make([]Socket, 0, len(conns))
	for _, c := range conns {
		if s, ok := fromConnection(c); ok {
			socks = append(socks, s)
		}
	}
	return socks, nil
}

// fromConnection turns one gopsutil row into a Socket, or reports false for
// rows that hold no port (TCP not in LISTEN, port 0, unknown family or type).
// gopsutil's conventions differ per OS (research/sockets.md §1.3): lsof
// prints the wildcard as "*", UDP status is "NONE" on Linux and "" elsewhere,
// and Linux prints an IPv4-mapped IPv6 socket in IPv4 form.
func fromConnection(c gnet.ConnectionStat) (Socket, bool) {
	var s Socket
	switch c.Type {
	case syscall.SOCK_STREAM:
		if c.Status != "LISTEN" {
			return Socket{}, false
		}
		s.Protocol, s.State = "tcp", Listen
	case syscall.SOCK_DGRAM:
		s.Protocol, s.State = "udp", Datagram
	default:
		return Socket{}, false
	}
	if c.Laddr.Port == 0 || c.Laddr.Port > 0xffff {
		return Socket{}, false
	}
	s.Port = uint16(c.Laddr.Port)
	v6 := false
	switch c.Family {
	case syscall.AF_INET:
	case syscall.AF_INET6:
		v6 = true
	default:
		return Socket{}, false
	}
	ip := strings.TrimSuffix(strings.TrimPrefix(c.Laddr.IP, "["), "]")
	switch {
	case (ip == "*" || ip == "") && v6:
		s.Addr = netip.IPv6Unspecified()
	case ip == "*" || ip == "":
		s.Addr = netip.IPv4Unspecified()
	default:
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return Socket{}, false
		}
		switch {
		case v6 && a.Is4():
			a = netip.AddrFrom16(a.As16()) // back to the ::ffff:a.b.c.d the socket has
		case !v6 && !a.Is4():
			return Socket{}, false
		}
		s.Addr = a
	}
	if len(c.Uids) > 0 && c.Uids[0] >= 0 {
		s.UID, s.UIDKnown = uint32(c.Uids[0]), true
	}
	s.PID = c.Pid
	return s, true
}
