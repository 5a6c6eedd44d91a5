// Package check decides whether the host ports a compose project publishes
// are free on the live host, and if not, who holds them and what to do.
//
// It works on plain values (Binding, sockets.Socket, engine.Container) and
// never loads compose files itself, so the rules can be tested against
// real sockets without any project on disk.
package check

import (
	"fmt"
	"net/netip"
)

// Binding is one published host port of the project, as the engine will
// try to bind it.
type Binding struct {
	Service string
	// HostIP is the address the port is published on. The zero Addr means
	// "all addresses": the engine binds 0.0.0.0 and [::] (IPV6_V6ONLY).
	HostIP netip.Addr
	// Published is the host port, or for a host range ("9000-9005:80") the
	// first port of the range; Last is the range's last port (== Published
	// for a single port). A range means "any one free port of it".
	Published uint16
	Last      uint16
	Target    uint32
	Protocol  string // tcp, udp or sctp
	// Replicas is how many containers the service runs (scale or
	// deploy.replicas); each needs its own host port.
	Replicas int
	// Entry tells which ports entry the binding comes from: bindings with
	// the same non-zero Entry, one port after the other, are one range
	// compose expanded ("8000-8002:80-82" is three bindings), reported as
	// one (Merge). 0 means unknown: the binding stands alone.
	Entry int
}

// IsRange reports whether the binding is a host range the engine picks from.
func (b Binding) IsRange() bool { return b.Last > b.Published }

// Width is the number of host ports the binding may use.
func (b Binding) Width() int { return int(b.Last) - int(b.Published) + 1 }

// HostAddr renders the binding's host address as docker prints it:
// 0.0.0.0 for all addresses, [::1] for IPv6.
func (b Binding) HostAddr() string {
	if !b.HostIP.IsValid() {
		return "0.0.0.0"
	}
	if b.HostIP.Is6() && !b.HostIP.Is4In6() {
		return "[" + b.HostIP.String() + "]"
	}
	return b.HostIP.String()
}

// PortText renders the published port or range.
func (b Binding) PortText() string {
	if b.IsRange() {
		return fmt.Sprintf("%d-%d", b.Published, b.Last)
	}
	return fmt.Sprintf("%d", b.Published)
}

// String renders the binding as HOST:PORT/PROTO, e.g. 0.0.0.0:8080/tcp.
func (b Binding) String() string {
	return b.HostAddr() + ":" + b.PortText() + "/" + b.Protocol
}

// BindAddrs are the host addresses the engine binds for b, for a bind
// probe: both wildcards for a binding on all addresses, IPv4 only when the
// engine runs without its userland proxy (Input.IPv4Only).
func (in *Input) BindAddrs(b Binding) []netip.Addr {
	var out []netip.Addr
	for _, e := range in.hostEndpoints(b) {
		out = append(out, e.addr)
	}
	return out
}

// endpoints are the concrete addresses the engine binds for b: Docker binds
// both wildcards, each IPv6 one with IPV6_V6ONLY set, when no host IP is
// given (moby osallocator_linux.go).
func (b Binding) endpoints() []endpoint {
	if !b.HostIP.IsValid() {
		return []endpoint{
			{addr: netip.IPv4Unspecified()},
			{addr: netip.IPv6Unspecified(), v6only: true},
		}
	}
	return []endpoint{{addr: b.HostIP, v6only: true}}
}
