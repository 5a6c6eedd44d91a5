package engine

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// peerOf dials the unix socket at path and reads the accepting process's
// credentials (SO_PEERCRED) and command name.
func peerOf(path string) peer {
	conn, err := net.DialTimeout("unix", path, DefaultTimeout)
	if err != nil {
		return peer{why: fmt.Sprintf("dialing %s: %v", path, err)}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(DefaultTimeout))
	raw, err := conn.(*net.UnixConn).SyscallConn()
	if err != nil {
		return peer{why: fmt.Sprintf("%s: %v", path, err)}
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		credErr = err
	}
	if credErr != nil {
		return peer{why: fmt.Sprintf("SO_PEERCRED on %s: %v", path, credErr)}
	}
	p := peer{known: true, pid: int(cred.Pid), uid: int(cred.Uid)}
	if cred.Pid > 0 {
		if comm, err := os.ReadFile("/proc/" + strconv.Itoa(int(cred.Pid)) + "/comm"); err == nil {
			p.name = strings.TrimSpace(string(comm))
		}
	}
	return p
}
