//go:build !linux

package sockets

import "context"

// List returns the sockets of this host that hold a TCP or UDP port: TCP
// listeners and bound UDP sockets of both families.
//
// Outside Linux it uses gopsutil, the one portable table: lsof on macOS and
// FreeBSD (an unprivileged lsof sees only the caller's processes), the
// extended TCP/UDP tables on Windows. See ListGopsutil.
func List(ctx context.Context) ([]Socket, error) {
	return ListGopsutil(ctx)
}

// ListListening is List: the portable table has no costly part to leave
// out, and no filter by port (ports are ignored: nothing asked is missing).
func ListListening(ctx context.Context, ports ...PortRange) ([]Socket, error) { return List(ctx) }

// ListBound returns nothing outside Linux: no portable table reports TCP
// sockets that are bound but not listening. A bind probe still sees them.
func ListBound(ctx context.Context, ports ...PortRange) ([]Socket, error) { return nil, nil }
