package check

import (
	"net/netip"

	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// Verdict is what happens when a new bind meets an existing socket.
type Verdict uint8

const (
	// Free: the two addresses do not overlap.
	Free Verdict = iota
	// InUse: the new bind fails with EADDRINUSE.
	InUse
	// Shadowed: both binds succeed, and traffic to the more specific
	// address reaches whichever socket holds it. macOS, the BSDs and
	// Windows allow a wildcard and a specific bind side by side; this is
	// the silent conflict compose-preflight exists for.
	Shadowed
)

func (v Verdict) String() string {
	switch v {
	case InUse:
		return "in-use"
	case Shadowed:
		return "shadowed"
	}
	return "free"
}

// endpoint is one concrete bind: an address and, for IPv6, whether the
// socket is IPV6_V6ONLY. A dual-stack [::] socket also holds the IPv4 port.
type endpoint struct {
	addr   netip.Addr
	v6only bool
}

// socketEndpoint turns an inventory row into an endpoint. When the table
// does not say whether an IPv6 socket is V6ONLY (gopsutil, /proc/net), it
// is taken as dual-stack, the default on Linux, macOS and Windows: better a
// false alarm than a missed conflict.
func socketEndpoint(s sockets.Socket) endpoint {
	return endpoint{addr: s.Addr, v6only: s.V6Only == sockets.V6OnlyOn}
}

// claim is one family's share of an endpoint: the address (or the family's
// wildcard) it holds a port on.
type claim struct {
	v6       bool
	wildcard bool
	addr     netip.Addr
}

// claims splits an endpoint into the per-family addresses it holds.
// ::ffff:a.b.c.d is a.b.c.d: the kernel treats a v4-mapped bind as IPv4.
func (e endpoint) claims() []claim {
	a := e.addr.Unmap()
	switch {
	case a.Is4():
		return []claim{{wildcard: a.IsUnspecified(), addr: a}}
	case a.IsUnspecified() && !e.v6only:
		return []claim{{wildcard: true}, {v6: true, wildcard: true}}
	default:
		return []claim{{v6: true, wildcard: a.IsUnspecified(), addr: a}}
	}
}

// overlap decides what a new bind at nu does next to an existing socket at
// old, both on the same port and protocol, under goos's rules
// (research/sockets.md §4):
//   - Linux refuses every overlap: equal addresses, or either side the
//     wildcard of the family, counting a dual-stack [::] as an IPv4
//     wildcard too.
//   - macOS, the BSDs and Windows refuse only an exact match and let a
//     wildcard and a specific address coexist (Shadowed).
func overlap(old, nu endpoint, goos string) Verdict {
	v := Free
	for _, a := range old.claims() {
		for _, b := range nu.claims() {
			if a.v6 != b.v6 {
				continue
			}
			switch {
			case a.wildcard == b.wildcard && (a.wildcard || a.addr == b.addr):
				return InUse
			case a.wildcard || b.wildcard:
				if goos == "linux" {
					return InUse
				}
				v = Shadowed
			}
		}
	}
	return v
}
