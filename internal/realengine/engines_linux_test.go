//go:build linux

package realengine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// Helpers of the Podman and Swarm suites: they reach their engine through
// DOCKER_HOST (Podman) or need the Docker engine to be a swarm manager,
// and take their ports from 40000-40999, apart from the Docker suite's.

var (
	toolOnce sync.Once
	toolPath string
	toolErr  string
)

// builtTool builds compose-preflight once for the Podman and Swarm suites,
// which must not depend on a Docker engine being there.
func builtTool(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "preflight-engines-")
		if err != nil {
			toolErr = err.Error()
			return
		}
		toolPath = filepath.Join(dir, "compose-preflight")
		build := exec.Command("go", "build", "-o", toolPath, "./cmd/compose-preflight")
		build.Dir = root(t)
		if out, err := build.CombinedOutput(); err != nil {
			toolErr = "building compose-preflight: " + string(out)
		}
	})
	if toolErr != "" {
		t.Fatal(toolErr)
	}
	return toolPath
}

// skipOrFail skips a test whose engine is not there, or fails it when
// the variable require is 1 (CI, where the engine script set it up).
func skipOrFail(t *testing.T, require, why, how string) {
	t.Helper()
	if os.Getenv(require) == "1" {
		t.Fatalf("%s=1, but %s", require, why)
	}
	t.Skipf("%s (set it up with: %s)", why, how)
}

// runEnv is run with more environment (DOCKER_HOST), after env()'s.
func runEnv(t *testing.T, dir string, more []string, name string, args ...string) (string, int) {
	t.Helper()
	return runWith(t, dir, append(env(), more...), name, args...)
}

// enginePortError adds what Podman and Swarm print when a port cannot be
// published to what Docker prints.
var enginePortError = regexp.MustCompile(portError.String() + `|cannot listen on the TCP port|cannot listen on the UDP port|cannot expose privileged port|is already in use by service`)

// runID tells this run's projects from another run's on the same engine
// (two checkouts testing at once).
var runID = fmt.Sprintf("%04x", rand.IntN(1<<16))

// enginePool hands out the Podman and Swarm scenarios' ports.
var enginePool = &ports{next: 40000 + 10*rand.IntN(40), lo: 40000, hi: 40999, stride: 1}
