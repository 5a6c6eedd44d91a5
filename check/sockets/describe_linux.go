package sockets

import (
	"bytes"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// commLen is the longest process name the kernel keeps (TASK_COMM_LEN less
// the NUL): a longer program name is cut to its first 15 bytes.
const commLen = 15

// describe fills an Owner for pid from its procfs entries under procRoot:
// the name and the real uid from status, the arguments from cmdline, and
// the user named from the uid. A process may exit or hide its details
// between the lookup and here: whatever cannot be read stays empty, and the
// user falls back to the numeric uid, so a found owner is always reported.
// (Outside Linux gopsutil reads the same; here /proc says it directly, and
// the Linux build does not link gopsutil.)
func describe(procRoot string, pid int32) Owner {
	o := Owner{PID: pid}
	dir := filepath.Join(procRoot, strconv.Itoa(int(pid)))
	uid := ""
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		for line := range strings.SplitSeq(string(status), "\n") {
			key, value, _ := strings.Cut(line, ":")
			switch key {
			case "Name":
				o.Name = strings.TrimSpace(value)
			case "Uid": // real, effective, saved, filesystem
				if f := strings.Fields(value); len(f) > 0 {
					uid = f[0]
				}
			}
		}
	}
	if args, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		if args = bytes.TrimRight(args, "\x00"); len(args) > 0 {
			o.Cmdline = strings.Split(string(args), "\x00")
		}
	}
	// A cut name is the start of the program's file name, which the first
	// argument usually holds whole.
	if len(o.Name) == commLen && len(o.Cmdline) > 0 {
		if full := filepath.Base(o.Cmdline[0]); strings.HasPrefix(full, o.Name) {
			o.Name = full
		}
	}
	if uid != "" {
		o.User = uid
		if u, err := user.LookupId(uid); err == nil && u.Username != "" {
			o.User = u.Username
		}
	}
	return o
}
