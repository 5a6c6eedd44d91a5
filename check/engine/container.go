package engine

import (
	"fmt"
	"os"
	"path/filepath"
)

// InContainer reports whether this process runs inside a container, where
// the socket table it can read is the container's and not the host's, so
// that the engine must be the source of truth for host ports. root is the
// file system root, "/" outside tests.
//
// The evidence, in order: /.dockerenv (Docker), /run/.containerenv
// (Podman), or a network namespace other than PID 1's (a process moved
// into its own namespace while sharing the host's PID namespace). When the
// namespaces cannot be read (no /proc, or PID 1 belongs to another user)
// there is no verdict and InContainer says false. reason names the
// evidence when it says true.
//
// A container on the host network (--network host) is still reported: its
// socket table is the host's, but nothing here can tell.
func InContainer(root string) (bool, string) {
	for _, marker := range []struct{ path, why string }{
		{"/.dockerenv", "/.dockerenv exists (Docker container)"},
		{"/run/.containerenv", "/run/.containerenv exists (Podman container)"},
	} {
		if _, err := os.Lstat(filepath.Join(root, marker.path)); err == nil {
			return true, marker.why
		}
	}
	self, err := os.Readlink(filepath.Join(root, "proc", "self", "ns", "net"))
	if err != nil {
		return false, ""
	}
	pid1, err := os.Readlink(filepath.Join(root, "proc", "1", "ns", "net"))
	if err != nil {
		return false, ""
	}
	if self != pid1 {
		return true, fmt.Sprintf("network namespace %s differs from PID 1's %s", self, pid1)
	}
	return false, ""
}
