// Package gopsutilnet is the one place that calls gopsutil's socket table,
// so that only the builds that list sockets through it link gopsutil: the
// sockets package on every OS but Linux (which reads netlink), and the
// Linux tests and benchmarks that compare the two.
package gopsutilnet

import (
	"context"

	gnet "github.com/shirou/gopsutil/v4/net"
)

// Row is one row of gopsutil's table, in the fields the sockets package
// reads, with gopsutil's conventions untouched (they differ per OS). It is
// an unnamed struct type so that the sockets package can name the same
// type without importing this package, and so without linking gopsutil
// on Linux; the compiler holds the two spellings equal where rows pass.
type Row = struct {
	Family, Type uint32 // syscall.AF_INET or AF_INET6; SOCK_STREAM or SOCK_DGRAM
	Status       string // TCP state name, "LISTEN" for a listener
	IP           string // local address as gopsutil prints it ("*", "[::]", "1.2.3.4")
	Port         uint32
	UIDs         []int32
	PID          int32
}

// Connections lists every inet socket through gopsutil's net.Connections,
// the one entry point implemented everywhere: ConnectionsWithoutUids and
// ConnectionsMax return ErrNotImplemented on darwin, freebsd and windows.
func Connections(ctx context.Context) ([]Row, error) {
	conns, err := gnet.ConnectionsWithContext(ctx, "inet")
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(conns))
	for i, c := range conns {
		rows[i] = Row{Family: c.Family, Type: c.Type, Status: c.Status, IP: c.Laddr.IP, Port: c.Laddr.Port, UIDs: c.Uids, PID: c.Pid}
	}
	return rows, nil
}
