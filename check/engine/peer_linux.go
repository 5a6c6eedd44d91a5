package engine

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// peerUID is the user of the process that accepts on the unix socket at
// path, as the kernel reports it (SO_PEERCRED).
func peerUID(path string) (int, bool) {
	conn, err := net.DialTimeout("unix", path, DefaultTimeout)
	if err != nil {
		return 0, false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(DefaultTimeout))
	raw, err := conn.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0, false
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return 0, false
	}
	return int(cred.Uid), true
}
