package sockets

import (
	"net/netip"
	"strings"
	"syscall"
)

// gopsutilRow is a row of gopsutil's socket table: the same type as
// gopsutilnet.Row, spelled here so that this file does not import
// gopsutilnet, and the Linux build does not link gopsutil.
type gopsutilRow = struct {
	Family, Type uint32
	Status       string
	IP           string
	Port         uint32
	UIDs         []int32
	PID          int32
}

// fromRows turns gopsutil's rows into Sockets, leaving out those that hold
// no port. ListGopsutil (outside Linux) is its only caller in the tool;
// on Linux the tests call it to compare gopsutil's table with netlink's.
func fromRows(rows []gopsutilRow) []Socket {
	socks := make([]Socket, 0, len(rows))
	for _, r := range rows {
		if s, ok := fromRow(r); ok {
			socks = append(socks, s)
		}
	}
	return socks
}

// fromRow turns one gopsutil row into a Socket, or reports false for
// rows that hold no port (TCP not in LISTEN, port 0, unknown family or type).
// gopsutil's conventions differ per OS (research/sockets.md §1.3): lsof
// prints the wildcard as "*", UDP status is "NONE" on Linux and "" elsewhere,
// and Linux prints an IPv4-mapped IPv6 socket in IPv4 form.
func fromRow(c gopsutilRow) (Socket, bool) {
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
	if c.Port == 0 || c.Port > 0xffff {
		return Socket{}, false
	}
	s.Port = uint16(c.Port)
	v6 := false
	switch c.Family {
	case syscall.AF_INET:
	case syscall.AF_INET6:
		v6 = true
	default:
		return Socket{}, false
	}
	ip := strings.TrimSuffix(strings.TrimPrefix(c.IP, "["), "]")
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
	if len(c.UIDs) > 0 && c.UIDs[0] >= 0 {
		s.UID, s.UIDKnown = uint32(c.UIDs[0]), true
	}
	s.PID = c.PID
	return s, true
}
