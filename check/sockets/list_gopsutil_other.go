//go:build !linux

package sockets

import (
	"context"
	"fmt"

	"github.com/compose-preflight/compose-preflight/check/sockets/internal/gopsutilnet"
)

// ListGopsutil lists TCP listeners and bound UDP sockets through gopsutil's
// net.Connections, normalised to this package's conventions. It is List on
// every OS but Linux. On Linux it is not built: there gopsutil walks every
// /proc/PID/fd before reading the table (tens to hundreds of ms under
// load), collapses SO_REUSEPORT twins and cannot tell V6ONLY, and the Linux
// binary does not link gopsutil at all; the Linux tests compare its rows
// (gopsutilnet, fromRows) with netlink's.
func ListGopsutil(ctx context.Context) ([]Socket, error) {
	rows, err := gopsutilnet.Connections(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sockets with gopsutil: %w", err)
	}
	return fromRows(rows), nil
}
