package engine

import "strings"

// peer is the process that serves a local engine socket, as the kernel
// reports it (SO_PEERCRED): who it runs as, and what it is.
type peer struct {
	known bool
	pid   int // 0 when the peer is in a PID namespace this one cannot see
	uid   int
	// name is the process's command name ("dockerd", "podman"), empty
	// when its /proc entry cannot be read.
	name string
	// why says what went wrong when the peer is not known.
	why string
}

// socketPeer asks the kernel who serves ep, for a unix socket on Linux.
//
// Podman's Docker-compatible API says neither that it is Podman (only its
// /version does, which costs Podman 0.6 s: it runs conmon and the OCI
// runtime to ask their versions) nor that it is rootless (its /info lacks
// Docker's "name=rootless", measured on 4.3). The kernel says both at the
// cost of a connect.
func socketPeer(ep Endpoint) peer {
	path, ok := strings.CutPrefix(ep.Host, "unix://")
	if !ok {
		return peer{}
	}
	return peerOf(path)
}
