package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

func peerNamespace(path, proc string) Namespace {
	p := peerOf(path)
	if !p.known {
		return Namespace{Why: p.why}
	}
	if p.pid <= 0 {
		// The peer lives in a PID namespace this process cannot see into.
		return Namespace{Why: fmt.Sprintf("the process behind %s is in another PID namespace", path)}
	}
	self, err := os.Readlink(filepath.Join(proc, "self", "ns", "net"))
	if err != nil {
		return Namespace{PID: p.pid, Why: fmt.Sprintf("reading this process's network namespace: %v", err)}
	}
	peer, err := os.Readlink(filepath.Join(proc, strconv.Itoa(p.pid), "ns", "net"))
	if err != nil {
		return Namespace{PID: p.pid, Why: fmt.Sprintf("reading the network namespace of pid %d behind %s: %v", p.pid, path, err)}
	}
	if peer == self {
		return Namespace{Known: true, Same: true, PID: p.pid, Why: fmt.Sprintf("pid %d behind %s shares this network namespace (%s)", p.pid, path, self)}
	}
	return Namespace{Known: true, PID: p.pid, Why: fmt.Sprintf("pid %d behind %s is in network namespace %s, this process in %s", p.pid, path, peer, self)}
}
