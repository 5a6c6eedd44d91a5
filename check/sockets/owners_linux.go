package sockets

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// Owners names the processes that hold socks, for the few sockets that
// conflict: the lookup costs a walk of /proc/*/fd, so do not call it for the
// whole table. A socket whose holder cannot be seen (the caller is not root
// and the process is someone else's, or it lives in another PID namespace)
// gets no entry: report it with its Socket.UID instead. A socket shared by
// several processes (an inherited fd) is attributed to the first one found.
// It reads procfs at HOST_PROC when set, else /proc; see OwnersProc.
func Owners(ctx context.Context, socks []Socket) (map[Socket]Owner, error) {
	return OwnersProc(ctx, hostProc(), socks)
}

// OwnersProc is Owners with procfs read at procRoot.
//
// There is no index from socket inode to process, so it reads the fd links
// of processes until every wanted inode is found. The order makes the early
// exit come early: first the processes running as a uid that created one of
// the sockets (the usual holder), then, within each group, the processes with
// the fewest open files (Linux >= 6.2 reports the count as the size of
// /proc/PID/fd), so one process holding ten thousand connections is read
// last. Every process stays a candidate, since a process may bind and then
// change its uid, or receive the socket from another one.
func OwnersProc(ctx context.Context, procRoot string, socks []Socket) (map[Socket]Owner, error) {
	owners := make(map[Socket]Owner)
	pidOf := make(map[uint64]int32) // wanted inode -> holder, 0 while unknown
	uids := make(map[uint32]bool)
	for _, s := range socks {
		if s.PID == 0 && s.Inode != 0 {
			pidOf[s.Inode] = 0
			if s.UIDKnown {
				uids[s.UID] = true
			}
		}
	}
	if len(pidOf) > 0 {
		if err := findHolders(ctx, procRoot, pidOf, uids); err != nil {
			return nil, err
		}
	}

	described := make(map[int32]Owner)
	for _, s := range socks {
		pid := s.PID
		if pid == 0 {
			pid = pidOf[s.Inode]
		}
		if pid <= 0 {
			continue
		}
		o, ok := described[pid]
		if !ok {
			o = describe(procRoot, pid)
			described[pid] = o
		}
		owners[s] = o
	}
	return owners, nil
}

// candidate is a process that may hold a wanted socket.
type candidate struct {
	pid      int32
	otherUID bool  // runs as none of the sockets' uids: read later
	fds      int64 // open files, 0 when the kernel does not say
}

// findHolders fills pidOf with the first process found holding each inode.
// It works with raw *at syscalls relative to procRoot: os.Open would add an
// fcntl and a poller registration per directory, a third of the cost.
func findHolders(ctx context.Context, procRoot string, pidOf map[uint64]int32, uids map[uint32]bool) error {
	procfd, err := unix.Open(procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("find socket owners: open %s: %w", procRoot, err)
	}
	defer unix.Close(procfd)
	names, err := readDirNames(procfd, nil)
	if err != nil {
		return fmt.Errorf("find socket owners: list %s: %w", procRoot, err)
	}
	// Linux >= 6.2 reports the number of open files as the size of
	// /proc/PID/fd. This process has some, so a size of 0 from this kernel
	// means a process without files (a kernel thread): nothing to read.
	var self unix.Stat_t
	counted := unix.Fstatat(procfd, "self/fd", &self, 0) == nil && self.Size > 0

	cands := make([]candidate, 0, len(names))
	for _, name := range names {
		pid, err := strconv.ParseInt(name, 10, 32)
		if err != nil || pid <= 0 {
			continue // not a process: "self", "net", ...
		}
		var st unix.Stat_t
		if unix.Fstatat(procfd, name+"/fd", &st, 0) != nil {
			continue // exited meanwhile
		}
		if counted && st.Size == 0 {
			continue
		}
		cands = append(cands, candidate{pid: int32(pid), otherUID: !uids[st.Uid], fds: st.Size})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.otherUID != b.otherUID:
			if a.otherUID {
				return 1
			}
			return -1
		case a.fds != b.fds:
			return int(min(max(a.fds-b.fds, -1), 1))
		}
		return int(a.pid - b.pid)
	})

	left := len(pidOf)
	buf := make([]byte, 32<<10)
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return err
		}
		left = scanFDs(procfd, c.pid, pidOf, left, buf)
		if left == 0 {
			break
		}
	}
	return nil
}

// scanFDs reads the fd links of process pid, records pid as the holder of
// every wanted inode not found yet, and returns how many are still missing.
// It reads the directory a buffer at a time so that it can stop in the
// middle of a large one. Errors mean the process is gone or hidden from the
// caller: it is skipped, never fatal, since owners are a courtesy in the
// report.
func scanFDs(procfd int, pid int32, pidOf map[uint64]int32, left int, buf []byte) int {
	fd, err := unix.Openat(procfd, strconv.Itoa(int(pid))+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return left
	}
	defer unix.Close(fd)
	var link [64]byte // "socket:[4294967295]" fits; longer links are not sockets
	var names []string
	for left > 0 {
		n, err := unix.Getdents(fd, buf)
		if err != nil || n <= 0 {
			return left
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names[:0])
		for _, name := range names {
			n, err := unix.Readlinkat(fd, name, link[:])
			if err != nil || n >= len(link) {
				continue
			}
			ino, ok := socketInode(link[:n])
			if !ok {
				continue
			}
			if holder, wanted := pidOf[ino]; wanted && holder == 0 {
				pidOf[ino] = pid
				if left--; left == 0 {
					return 0
				}
			}
		}
	}
	return left
}

// readDirNames lists the directory open at fd.
func readDirNames(fd int, names []string) ([]string, error) {
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// socketInode parses the target of a socket fd link, "socket:[12345]".
func socketInode(link []byte) (uint64, bool) {
	const prefix = "socket:["
	if len(link) < len(prefix)+2 || string(link[:len(prefix)]) != prefix || link[len(link)-1] != ']' {
		return 0, false
	}
	var ino uint64
	for _, c := range link[len(prefix) : len(link)-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if ino > (math.MaxUint64-d)/10 {
			return 0, false
		}
		ino = ino*10 + d
	}
	return ino, true
}
