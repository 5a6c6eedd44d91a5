package check

// Host holds the host's port policy: which ports the kernel hands out on
// its own, and which ones need privileges.
type Host struct {
	// GOOS selects the bind rules: Linux refuses wildcard/specific
	// overlaps, other systems let them coexist (Shadowed).
	GOOS string
	// EphemeralFirst..EphemeralLast is the range the kernel picks client
	// ports and Docker picks auto-assigned host ports from: a fixed port
	// inside it can be taken at any moment by an outgoing connection.
	EphemeralFirst, EphemeralLast uint16
	// UnprivilegedStart is the first port an unprivileged process may
	// bind (rootless engines are unprivileged).
	UnprivilegedStart uint16
	// Reserved are ports the administrator set aside
	// (ip_local_reserved_ports); the picker never suggests them.
	Reserved []PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last uint16 }

// Contains reports whether p lies in r.
func (r PortRange) Contains(p uint16) bool { return p >= r.First && p <= r.Last }

// DefaultHost is the policy of goos when the host cannot be read: the
// IANA dynamic range on macOS, Windows and the BSDs, Linux's default range
// on Linux.
func DefaultHost(goos string) Host {
	h := Host{GOOS: goos, EphemeralFirst: 49152, EphemeralLast: 65535, UnprivilegedStart: 1024}
	if goos == "linux" {
		h.EphemeralFirst, h.EphemeralLast = 32768, 60999
	}
	return h
}

func (h Host) ephemeral(p uint16) bool { return p >= h.EphemeralFirst && p <= h.EphemeralLast }

func (h Host) reserved(p uint16) bool {
	for _, r := range h.Reserved {
		if r.Contains(p) {
			return true
		}
	}
	return false
}
