//go:build !linux

package sockets

import (
	"context"
	"strconv"

	"github.com/shirou/gopsutil/v4/process"
)

// describe fills an Owner for pid with what gopsutil can read. A process may
// exit or hide its details between the lookup and here: whatever cannot be
// read stays empty, and the user falls back to the numeric uid, so a found
// owner is always reported.
func describe(ctx context.Context, pid int32) Owner {
	o := Owner{PID: pid}
	p, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return o
	}
	if name, err := p.NameWithContext(ctx); err == nil {
		o.Name = name
	}
	if args, err := p.CmdlineSliceWithContext(ctx); err == nil && len(args) > 0 {
		o.Cmdline = args
	}
	if user, err := p.UsernameWithContext(ctx); err == nil && user != "" {
		o.User = user
	} else if uids, err := p.UidsWithContext(ctx); err == nil && len(uids) > 0 {
		o.User = strconv.FormatUint(uint64(uids[0]), 10)
	}
	return o
}
