package sockets

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDescribe reads owners from a fake procfs: the name the kernel cut to
// 15 bytes is taken whole from the first argument when that starts with
// it (and kept when it does not, as for a thread named by its program),
// the user is named from the real uid (the first of the Uid line), and
// a process without readable entries keeps its PID only.
func TestDescribe(t *testing.T) {
	root := t.TempDir()
	proc := func(pid, name, uids, cmdline string) {
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		status := "Name:\t" + name + "\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" + uids + "\nGid:\t0\t0\t0\t0\n"
		if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc("10", "compose-preflig", "0\t1000\t1000\t1000", "/usr/local/bin/compose-preflight\x00--fix\x00")
	proc("11", "uvicorn-worker1", "0\t0\t0\t0", "/usr/bin/python3\x00app.py\x00")
	proc("12", "node", "4000000\t4000000\t4000000\t4000000", "node\x00server.js\x00")
	for _, c := range []struct {
		pid  int32
		want Owner
	}{
		{10, Owner{PID: 10, Name: "compose-preflight", Cmdline: []string{"/usr/local/bin/compose-preflight", "--fix"}, User: "root"}},
		{11, Owner{PID: 11, Name: "uvicorn-worker1", Cmdline: []string{"/usr/bin/python3", "app.py"}, User: "root"}},
		{12, Owner{PID: 12, Name: "node", Cmdline: []string{"node", "server.js"}, User: "4000000"}},
		{13, Owner{PID: 13}},
	} {
		got := describe(root, c.pid)
		if got.PID != c.want.PID || got.Name != c.want.Name || got.User != c.want.User || !slices.Equal(got.Cmdline, c.want.Cmdline) {
			t.Errorf("pid %d: %+v, want %+v", c.pid, got, c.want)
		}
	}
}

// TestLinuxBuildWithoutGopsutil holds the Linux build of the tool to not
// linking gopsutil: netlink and /proc do its work there, faster.
func TestLinuxBuildWithoutGopsutil(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "github.com/compose-preflight/compose-preflight/cmd/compose-preflight")
	cmd.Env = append(os.Environ(), "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	if !strings.Contains(string(out), "compose-preflight/check/sockets\n") {
		t.Fatalf("go list -deps does not list the sockets package:\n%s", out)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(line, "gopsutil") {
			t.Errorf("the Linux build links %s", line)
		}
	}
}
