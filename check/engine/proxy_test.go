package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserlandProxy reads the proxy mode from a dockerd's command line
// and its daemon.json, in a fake /proc.
func TestUserlandProxy(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(conf, []byte(`{"userland-proxy": false, "debug": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv      []string
		on, known bool
	}{
		{[]string{"/usr/sbin/dockerd", "--host", "unix:///var/run/docker.sock", "--config-file", filepath.Join(dir, "none.json")}, true, true},
		{[]string{"dockerd", "--userland-proxy=false"}, false, true},
		{[]string{"dockerd", "--userland-proxy", "false"}, false, true},
		{[]string{"dockerd", "--userland-proxy"}, true, true},
		{[]string{"dockerd", "--userland-proxy=true"}, true, true},
		{[]string{"dockerd", "--config-file", conf}, false, true},
		{[]string{"dockerd", "--config-file=" + conf, "--userland-proxy=true"}, true, true},
		{[]string{"containerd"}, true, false},
	} {
		proc := t.TempDir()
		if err := os.MkdirAll(filepath.Join(proc, "42"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, "42", "cmdline"), []byte(strings.Join(c.argv, "\x00")+"\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
		on, known := UserlandProxy(42, proc)
		if on != c.on || known != c.known {
			t.Errorf("%q: on=%v known=%v, want on=%v known=%v", c.argv, on, known, c.on, c.known)
		}
	}
	if _, known := UserlandProxy(0, "/proc"); known {
		t.Error("pid 0 cannot be known")
	}
}
