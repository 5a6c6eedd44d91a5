package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPublishedNumbers: the published text is read as numbers once, here:
// a port gives First == Last, a host range its two ends, an expanded
// range one port per binding; a long-syntax value compose-go lets through
// is refused with the file and line.
func TestPublishedNumbers(t *testing.T) {
	dir := t.TempDir()
	yaml := "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n      - \"9000-9002:81\"\n      - \"7000-7001:7000-7001/udp\"\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range p.Bindings {
		got = append(got, fmt.Sprintf("%s=%d-%d", b.Published, b.First, b.Last))
	}
	want := []string{"8080=8080-8080", "9000-9002=9000-9002", "7000=7000-7000", "7001=7001-7001"}
	if !slices.Equal(got, want) {
		t.Errorf("bindings %q, want %q", got, want)
	}

	bad := "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: \"+80\"\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), Options{WorkingDir: dir})
	if err == nil || err.Error() != `compose.yaml:6: invalid port "+80": a published port must be a number from 1 to 65535 or a range of them` {
		t.Errorf("load of published \"+80\": %v", err)
	}
}
