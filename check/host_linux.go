package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadHost reads the port policy of this Linux host from procRoot
// (normally /proc). A missing file keeps the kernel's default for it: the
// files are per network namespace and some sandboxes hide them.
func ReadHost(procRoot string) (Host, error) {
	h := DefaultHost("linux")
	dir := filepath.Join(procRoot, "sys/net/ipv4")
	if b, err := os.ReadFile(filepath.Join(dir, "ip_local_port_range")); err == nil {
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return h, fmt.Errorf("%s: want two ports, got %q", filepath.Join(dir, "ip_local_port_range"), strings.TrimSpace(string(b)))
		}
		first, err1 := strconv.ParseUint(f[0], 10, 16)
		last, err2 := strconv.ParseUint(f[1], 10, 16)
		if err1 != nil || err2 != nil {
			return h, fmt.Errorf("%s: bad port in %q", filepath.Join(dir, "ip_local_port_range"), strings.TrimSpace(string(b)))
		}
		h.EphemeralFirst, h.EphemeralLast = uint16(first), uint16(last)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ip_unprivileged_port_start")); err == nil {
		p, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16)
		if err != nil {
			return h, fmt.Errorf("%s: %w", filepath.Join(dir, "ip_unprivileged_port_start"), err)
		}
		h.UnprivilegedStart = uint16(p)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ip_local_reserved_ports")); err == nil {
		r, err := parseRanges(strings.TrimSpace(string(b)))
		if err != nil {
			return h, fmt.Errorf("%s: %w", filepath.Join(dir, "ip_local_reserved_ports"), err)
		}
		h.Reserved = r
	}
	return h, nil
}
