package engine

import "strings"

// rootlessPeer reports whether the process serving a local engine socket
// runs as a user other than root: a rootless engine, which cannot bind
// ports below net.ipv4.ip_unprivileged_port_start. Rootless Docker says so
// in /info; Podman's Docker-compatible /info does not (measured on 4.3),
// but the kernel names the peer's user (SO_PEERCRED). Asked only of
// Podman: a test's fake Docker engine runs as whoever runs the tests.
func rootlessPeer(ep Endpoint) bool {
	path, ok := strings.CutPrefix(ep.Host, "unix://")
	if !ok {
		return false
	}
	uid, ok := peerUID(path)
	return ok && uid != 0
}
