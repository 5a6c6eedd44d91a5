package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Namespace says whether the engine behind a unix socket binds its ports
// in this process's network namespace.
//
// Inside a container the socket table is the container's. When the engine
// runs in that same namespace (Docker-in-Docker, a devcontainer's
// docker-in-docker feature, a CI job that starts dockerd in its own
// container) its published ports land in this very table, beside every
// other process of the container: the sockets are the engine host's, and
// both must be checked. When the socket was mounted from another host
// (docker-outside-of-docker) they are not, and only the engine can say what
// its host holds. /.dockerenv says neither; the engine process does.
type Namespace struct {
	// Known is false when nothing could be proved: the socket is not a
	// unix socket, the peer's process is in another PID namespace (the
	// kernel reports pid 0), or its namespace cannot be read.
	Known bool
	// Same is true when the engine process shares this network namespace.
	Same bool
	// PID is the engine process as the kernel reports it (SO_PEERCRED).
	PID int
	// Why says what was compared, for messages and notes.
	Why string
}

// EngineNamespace asks the kernel which process serves the engine's unix
// socket (SO_PEERCRED) and compares its network namespace with this
// one's (PIDNamespace). Only Linux can tell; elsewhere the result is
// unknown. A check has the pid already, from Ask (View.PID).
func EngineNamespace(ep Endpoint, proc string) Namespace {
	p := socketPeer(ep)
	if !p.known {
		if p.why == "" {
			p.why = "the engine is not reached over a unix socket"
		}
		return Namespace{Why: p.why}
	}
	return PIDNamespace(p.pid, proc)
}

// PIDNamespace compares the network namespace of process pid (an
// engine's, as the kernel named it on its socket) with this process's,
// both read under proc. pid 0 is a process in a PID namespace this one
// cannot see into: unknown.
func PIDNamespace(pid int, proc string) Namespace {
	if pid <= 0 {
		return Namespace{Why: "the engine's process is in another PID namespace"}
	}
	self, err := os.Readlink(filepath.Join(proc, "self", "ns", "net"))
	if err != nil {
		return Namespace{PID: pid, Why: fmt.Sprintf("reading this process's network namespace: %v", err)}
	}
	peer, err := os.Readlink(filepath.Join(proc, strconv.Itoa(pid), "ns", "net"))
	if err != nil {
		return Namespace{PID: pid, Why: fmt.Sprintf("reading the network namespace of pid %d: %v", pid, err)}
	}
	if peer == self {
		return Namespace{Known: true, Same: true, PID: pid, Why: fmt.Sprintf("pid %d shares this network namespace (%s)", pid, self)}
	}
	return Namespace{Known: true, PID: pid, Why: fmt.Sprintf("pid %d is in network namespace %s, this process in %s", pid, peer, self)}
}
