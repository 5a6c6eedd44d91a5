package preflight

import (
	"net/netip"

	"github.com/compose-preflight/compose-preflight/check"
)

// podmanBindings makes the bindings without a host IP what rootful Podman
// publishes for them: 0.0.0.0 only (conmon binds one IPv4 socket, where
// Docker binds [::] beside it). A host program on [::1]:P leaves such a
// port free on Podman, measured on 4.3. Rootless Podman's rootlessport
// binds a dual-stack [::], which overlaps what Docker's two binds do.
func podmanBindings(bs []check.Binding, engineName string, rootless *bool) {
	if engineName != "Podman" || rootless == nil || *rootless {
		return
	}
	for i := range bs {
		if !bs[i].HostIP.IsValid() {
			bs[i].HostIP = netip.IPv4Unspecified()
		}
	}
}
