// Package sockets lists the sockets bound on this host that can stand in
// the way of a published port, and finds who owns them.
//
// On Linux it asks the kernel through netlink sock_diag (fast, no root,
// and the only source that reports IPV6_V6ONLY and TCP sockets that are
// bound but not listening), falling back to /proc/net. Elsewhere it uses
// gopsutil, the only portable table.
package sockets

import "net/netip"

// State says how a socket holds its port.
type State uint8

const (
	// Listen is a TCP socket in LISTEN.
	Listen State = iota + 1
	// Bound is a TCP socket that is bound but not listening (yet): it still
	// makes a later bind fail.
	Bound
	// Datagram is a bound UDP socket; UDP has no listen state.
	Datagram
)

func (s State) String() string {
	switch s {
	case Listen:
		return "listen"
	case Bound:
		return "bound"
	case Datagram:
		return "udp"
	}
	return "unknown"
}

// V6Only is the IPV6_V6ONLY flag of an IPv6 socket. Only Linux netlink
// reports it; elsewhere it is Unknown and the rules assume dual-stack,
// which is the default everywhere but on OpenBSD.
type V6Only uint8

const (
	V6OnlyUnknown V6Only = iota
	V6OnlyOff            // dual-stack: a [::] socket also holds the IPv4 port
	V6OnlyOn
)

// Socket is one bound socket on the host.
type Socket struct {
	Protocol string     // "tcp" or "udp"
	Addr     netip.Addr // as the kernel reports it: may be ::ffff:a.b.c.d
	Port     uint16
	State    State
	V6Only   V6Only // meaningful for IPv6 addresses only
	Inode    uint64 // 0 when the source does not say (gopsutil)
	UID      uint32
	UIDKnown bool
	PID      int32 // 0 when the table does not say (netlink, /proc/net)
}

// PortRange is the ports First to Last, both included: a listing asked for
// ranges may leave out the sockets on other ports.
type PortRange struct{ First, Last uint16 }

// Owner is the process that holds a socket, as far as it can be seen.
type Owner struct {
	PID     int32
	Name    string   // the process name (comm)
	Cmdline []string // argv
	User    string   // user name, or the uid when the name is unknown
}
