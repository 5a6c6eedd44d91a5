package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ProbeStatus is what a test bind says about a port.
type ProbeStatus uint8

const (
	// ProbeError: the probe could not be run (bad protocol or address) or
	// failed for a reason that says nothing about the port.
	ProbeError ProbeStatus = iota
	// Free: the bind succeeded, so the engine's bind would too, for now.
	Free
	// Busy: EADDRINUSE, some socket holds an overlapping address.
	Busy
	// Denied: EACCES, a privileged port for this user or (Windows) an
	// excluded port range. Unknown, not busy: the engine may run as root.
	Denied
	// NotHere: EADDRNOTAVAIL, the host IP is not on this machine; the
	// engine's bind fails too.
	NotHere
)

func (s ProbeStatus) String() string {
	switch s {
	case Free:
		return "free"
	case Busy:
		return "busy"
	case Denied:
		return "denied"
	case NotHere:
		return "not-here"
	}
	return "error"
}

// ProbeResult is the outcome of Probe.
type ProbeResult struct {
	Status ProbeStatus
	Err    error // the bind error; nil when Free
}

// Probe binds protocol ("tcp" or "udp") on addr:port and closes the socket
// at once, to ask the kernel whether the engine's own bind would succeed.
// It catches what tables miss (client-side sockets on the port, owners a
// table cannot see, Windows excluded ranges) but not shadowing on macOS and
// Windows, where an overlapping bind succeeds: it is a second opinion, not
// the check.
//
// It binds one family only (tcp4/udp4 or tcp6/udp6, never Go's dual-stack
// "tcp"), and an IPv6 socket with IPV6_V6ONLY=1 as Docker does, so that an
// IPv4 listener does not make a probe of [::] fail. On Unix a TCP probe
// binds and never listens: bind is where the kernel refuses an address in
// use, and a socket that never listens does not show in other programs'
// listener tables, so two checks running at once do not see each other's
// probes as conflicts. An IPv4-mapped address
// is probed as the IPv4 address it stands for. Go's listeners set
// SO_REUSEADDR on Unix and not on Windows, like the engines' binders do.
func Probe(protocol string, addr netip.Addr, port uint16) ProbeResult {
	if !addr.IsValid() {
		return ProbeResult{Err: errors.New("probe: no address")}
	}
	addr = addr.Unmap()
	network := protocol + "4"
	if addr.Is6() {
		network = protocol + "6"
	}
	lc := net.ListenConfig{}
	if addr.Is6() {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = setV6Only(fd) }); err != nil {
				return err
			}
			return serr
		}
	}
	ap := netip.AddrPortFrom(addr, port).String()
	var err error
	switch protocol {
	case "tcp":
		err = probeTCP(lc, network, addr, port)
	case "udp":
		var c net.PacketConn
		if c, err = lc.ListenPacket(context.Background(), network, ap); err == nil {
			c.Close()
		}
	default:
		return ProbeResult{Err: fmt.Errorf("probe: unsupported protocol %q", protocol)}
	}
	return ProbeResult{Status: classify(err), Err: err}
}

func classify(err error) ProbeStatus {
	switch {
	case err == nil:
		return Free
	case errors.Is(err, errAddrInUse):
		return Busy
	case errors.Is(err, errAccess):
		return Denied
	case errors.Is(err, errAddrNotAvail):
		return NotHere
	}
	return ProbeError
}
