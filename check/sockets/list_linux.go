package sockets

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// List returns the sockets of this host that hold a TCP or UDP port: TCP
// listeners, TCP sockets bound but not listening, and bound UDP sockets, of
// both families, in the caller's network namespace.
//
// On Linux it asks netlink sock_diag and, when that is not available (a
// seccomp sandbox, a kernel without inet_diag or udp_diag), reads /proc/net
// instead, which misses bound-only TCP sockets and IPV6_V6ONLY.
func List(ctx context.Context) ([]Socket, error) {
	return orProcNet(ctx, ListNetlink)
}

// orProcNet runs a netlink listing and, when netlink is not available (a
// seccomp sandbox, a kernel without inet_diag or udp_diag), reads
// /proc/net instead.
func orProcNet(ctx context.Context, list func(context.Context) ([]Socket, error)) ([]Socket, error) {
	socks, nlErr := list(ctx)
	if nlErr == nil {
		return socks, nil
	}
	if ctx.Err() != nil {
		return nil, nlErr
	}
	socks, err := ListProcNet(ctx, hostProc())
	if err != nil {
		return nil, fmt.Errorf("list sockets: %w", errors.Join(nlErr, err))
	}
	return socks, nil
}

// hostProc is where procfs is mounted: HOST_PROC when set (a host /proc
// mounted into a container, the convention gopsutil follows too), else /proc.
func hostProc() string {
	if p := os.Getenv("HOST_PROC"); p != "" {
		return p
	}
	return "/proc"
}
