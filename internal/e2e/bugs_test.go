package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/netnstest"
)

// TestFixVariableAlsoSetsTarget is the smallest project that shows what
// TestFixCorpus found in realworld/docker-jitsi-meet: a variable that sets
// both the host and the container port ("${JVB_PORT:-10000}:${JVB_PORT:-10000}/udp")
// cannot be moved by setting the variable (the container port would move
// too). --fix must leave that one binding with a reason and still move the
// others; it must not plan the move, fail its own verification, and roll
// back every other fix with "the project loads to other ports than planned".
func TestFixVariableAlsoSetsTarget(t *testing.T) {
	if !netnstest.Isolate(t) {
		return
	}
	bin := binary(t)
	dir := t.TempDir()
	compose := "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n  jvb:\n    image: jitsi/jvb\n    ports:\n      - \"${JVB_PORT:-10000}:${JVB_PORT:-10000}/udp\"\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", "127.0.0.1:10000")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()

	r := runBin(bin, dir, cleanEnv(t.TempDir()), "--fix")
	if r.crashed() || r.code != 1 {
		t.Fatalf("want exit 1 (jvb cannot be moved by --fix), got:\n%s", r)
	}
	moved, manual := parseFixOutput(r.stdout)
	if len(moved) != 1 || moved[0].service != "web" || moved[0].new != "8081" {
		t.Errorf("want web moved 8080 -> 8081, got %+v:\n%s", moved, r)
	}
	if len(manual) != 1 || manual[0].service != "jvb" || !strings.Contains(manual[0].reason, "JVB_PORT") {
		t.Errorf("want jvb left with a reason naming JVB_PORT, got %+v:\n%s", manual, r)
	}
	if strings.Contains(r.stderr, "every file restored") {
		t.Errorf("one binding that cannot move made --fix roll back every move:\n%s", r)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); !strings.Contains(string(got), "\"8081:80\"") {
		t.Errorf("web was not moved in compose.yaml:\n%s", got)
	}
	if left := leftoverTemps(dir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
