package engine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func peerNamespace(path, proc string) Namespace {
	conn, err := net.DialTimeout("unix", path, DefaultTimeout)
	if err != nil {
		return Namespace{Why: fmt.Sprintf("dialing %s: %v", path, err)}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(DefaultTimeout))
	raw, err := conn.(*net.UnixConn).SyscallConn()
	if err != nil {
		return Namespace{Why: fmt.Sprintf("%s: %v", path, err)}
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		credErr = err
	}
	if credErr != nil {
		return Namespace{Why: fmt.Sprintf("SO_PEERCRED on %s: %v", path, credErr)}
	}
	if cred.Pid <= 0 {
		// The peer lives in a PID namespace this process cannot see into.
		return Namespace{Why: fmt.Sprintf("the process behind %s is in another PID namespace", path)}
	}
	pid := int(cred.Pid)
	self, err := os.Readlink(filepath.Join(proc, "self", "ns", "net"))
	if err != nil {
		return Namespace{PID: pid, Why: fmt.Sprintf("reading this process's network namespace: %v", err)}
	}
	peer, err := os.Readlink(filepath.Join(proc, strconv.Itoa(pid), "ns", "net"))
	if err != nil {
		return Namespace{PID: pid, Why: fmt.Sprintf("reading the network namespace of pid %d behind %s: %v", pid, path, err)}
	}
	if peer == self {
		return Namespace{Known: true, Same: true, PID: pid, Why: fmt.Sprintf("pid %d behind %s shares this network namespace (%s)", pid, path, self)}
	}
	return Namespace{Known: true, PID: pid, Why: fmt.Sprintf("pid %d behind %s is in network namespace %s, this process in %s", pid, path, peer, self)}
}
