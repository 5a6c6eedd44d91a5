package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot builds a file system root with the given files and /proc net
// namespace links (empty link: absent).
func fakeRoot(t *testing.T, files []string, selfNS, pid1NS string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		writeFile(t, filepath.Join(root, f), "")
	}
	for pid, target := range map[string]string{"self": selfNS, "1": pid1NS} {
		if target == "" {
			continue
		}
		dir := filepath.Join(root, "proc", pid, "ns")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, "net")); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
	}
	return root
}

func TestInContainer(t *testing.T) {
	tests := []struct {
		name          string
		files         []string
		selfNS, pid1  string
		want          bool
		reasonContain string
	}{
		{"docker marker", []string{".dockerenv"}, "net:[4026531840]", "net:[4026531840]", true, "/.dockerenv"},
		{"podman marker", []string{"run/.containerenv"}, "", "", true, "/run/.containerenv"},
		{"own network namespace", nil, "net:[4026532301]", "net:[4026531840]", true, "net:[4026532301]"},
		{"host namespace", nil, "net:[4026531840]", "net:[4026531840]", false, ""},
		{"PID 1 unreadable: no verdict", nil, "net:[4026532301]", "", false, ""},
		{"no /proc: no verdict", nil, "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRoot(t, tt.files, tt.selfNS, tt.pid1)
			got, reason := InContainer(root)
			if got != tt.want || !strings.Contains(reason, tt.reasonContain) || (!got && reason != "") {
				t.Errorf("InContainer = %v, %q; want %v with %q", got, reason, tt.want, tt.reasonContain)
			}
		})
	}
}
