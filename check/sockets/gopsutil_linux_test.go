package sockets

import (
	"context"

	"github.com/compose-preflight/compose-preflight/check/sockets/internal/gopsutilnet"
)

// listGopsutil is what ListGopsutil does outside Linux, for the Linux
// tests and benchmarks that hold gopsutil's table against netlink's: the
// Linux build of the package does not have ListGopsutil, so that the tool
// does not link gopsutil there.
func listGopsutil(ctx context.Context) ([]Socket, error) {
	rows, err := gopsutilnet.Connections(ctx)
	if err != nil {
		return nil, err
	}
	return fromRows(rows), nil
}
