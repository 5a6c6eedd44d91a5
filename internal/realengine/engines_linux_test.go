//go:build linux

package realengine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(env(), more...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return buf.String(), code
}

// enginePortError adds what Podman and Swarm print when a port cannot be
// published to what Docker prints.
var enginePortError = regexp.MustCompile(portError.String() + `|cannot listen on the TCP port|cannot listen on the UDP port|cannot expose privileged port|is already in use by service`)

// runID tells this run's projects from another run's on the same engine
// (two checkouts testing at once).
var runID = fmt.Sprintf("%04x", rand.IntN(1<<16))

// enginePool hands out the Podman and Swarm scenarios' ports.
var enginePool = &highPorts{next: 40000 + 10*rand.IntN(40)}

type highPorts struct {
	mu   sync.Mutex
	next int
}

func (p *highPorts) block(t *testing.T, n int) []int {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for tries := 0; tries < 200; tries++ {
		if p.next+n > 40999 {
			p.next = 40000
		}
		first := p.next
		p.next += n + 1
		ok := true
		for port := first; port < first+n && ok; port++ {
			ok = free(port)
		}
		if ok {
			out := make([]int, n)
			for i := range out {
				out[i] = first + i
			}
			return out
		}
	}
	t.Fatal("no free block of ports left in 40000-40999")
	return nil
}
