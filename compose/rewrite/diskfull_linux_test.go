package rewrite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteFilesDiskFull fills a 64 KiB tmpfs: the write fails with ENOSPC, the old file
// survives intact and the partial temporary file is removed.
func TestWriteFilesDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	path := filepath.Join(dir, "compose.yaml")
	old := bytes.Repeat([]byte("# padding\n"), 2000) // 20 KB
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("# more padding\n"), 20000) // 300 KB
	err := WriteFiles([]Change{{Path: path, Old: old, New: big}})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "compose.yaml") {
		t.Fatalf("got %v, want ENOSPC naming the file", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Fatal("the old file was damaged")
	}
	noTemps(t, dir)
}
