package sockets

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestProbeDenied probes a privileged port as nobody: EACCES says nothing
// about the port being held, so the probe must say Denied, not Busy.
func TestProbeDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the probe as another user")
	}
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Skip(err)
	}
	start, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || start <= 1 {
		t.Skipf("ip_unprivileged_port_start = %q: every port is unprivileged", b)
	}
	exe := copyExecutable(t)
	for _, addr := range []netip.Addr{lo4, any6} {
		env := []string{"SOCKETS_TEST_PROBE=tcp " + addr.String() + " " + strconv.Itoa(start-1)}
		h := startHelperExe(t, exe, "probe", &syscall.Credential{Uid: 65534, Gid: 65534}, env)
		if got := strings.TrimSpace(h.line); got != Denied.String() {
			t.Errorf("probe of %s:%d as nobody: %s, want %s", addr, start-1, got, Denied)
		}
	}
	// And as root the same port is not denied.
	if got := Probe("tcp", lo4, uint16(start-1)); got.Status == Denied {
		t.Errorf("probe as root: %s (%v)", got.Status, got.Err)
	}
}
