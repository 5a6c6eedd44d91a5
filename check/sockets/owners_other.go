//go:build !linux

package sockets

import "context"

// Owners names the processes that hold socks. Outside Linux the socket table
// already carries the PID (Socket.PID, from gopsutil), so this only reads
// each process's name, command line and user. A socket without a PID (a
// process the caller may not see) gets no entry: report its address alone.
func Owners(ctx context.Context, socks []Socket) (map[Socket]Owner, error) {
	owners := make(map[Socket]Owner)
	described := make(map[int32]Owner)
	for _, s := range socks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.PID <= 0 {
			continue
		}
		o, ok := described[s.PID]
		if !ok {
			o = describe(ctx, s.PID)
			described[s.PID] = o
		}
		owners[s] = o
	}
	return owners, nil
}
