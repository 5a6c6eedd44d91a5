package engine

import "strings"

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

// EngineNamespace dials the engine's unix socket and compares the network
// namespace of the process that accepted (SO_PEERCRED) with this one's,
// read under proc ("/proc" outside tests). Only Linux can tell; elsewhere
// the result is unknown.
func EngineNamespace(ep Endpoint, proc string) Namespace {
	path, ok := strings.CutPrefix(ep.Host, "unix://")
	if !ok {
		return Namespace{Why: "the engine is not reached over a unix socket"}
	}
	return peerNamespace(path, proc)
}
