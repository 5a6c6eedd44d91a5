//go:build linux

package realengine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
)

// image is the local image the scenarios run (.ci/engines image makes it
// from Debian's busybox-static: no registry is needed).
const image = "local/busybox"

// engineInfo is what the suite learned of the engine before its first
// scenario.
type engineInfo struct {
	tool       string // the built compose-preflight
	apiVersion string // the engine's API version, e.g. "1.41"
	version    string
	proxyOff   bool   // started with --userland-proxy=false
	skip       string // why the suite cannot run here
}

var (
	setupOnce sync.Once
	setup     engineInfo
)

// root is the repository root, for the build and the engine script.
func root(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// need returns the engine's facts, or skips the test (fails it under
// PREFLIGHT_REQUIRE_ENGINE=1) when no engine, compose or image is there.
func need(t *testing.T) engineInfo {
	t.Helper()
	setupOnce.Do(func() { setup = prepare(root(t)) })
	if setup.skip != "" {
		if os.Getenv("PREFLIGHT_REQUIRE_ENGINE") == "1" {
			t.Fatalf("PREFLIGHT_REQUIRE_ENGINE=1, but %s", setup.skip)
		}
		t.Skipf("%s (start one with: bash .ci/engines start debian)", setup.skip)
	}
	return setup
}

func prepare(repo string) engineInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := exec.LookPath("docker"); err != nil {
		return engineInfo{skip: "no docker CLI on PATH"}
	}
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.APIVersion}} {{.Server.Version}}").CombinedOutput()
	if err != nil {
		return engineInfo{skip: "no Docker engine answers: " + firstLine(out)}
	}
	api, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if out, err := exec.CommandContext(ctx, "docker", "compose", "version").CombinedOutput(); err != nil {
		return engineInfo{skip: "docker compose is not installed: " + firstLine(out)}
	}
	if exec.CommandContext(ctx, "docker", "image", "inspect", image).Run() != nil {
		if out, err := exec.CommandContext(ctx, "bash", filepath.Join(repo, ".ci", "engines"), "image").CombinedOutput(); err != nil {
			return engineInfo{skip: "cannot make the image " + image + ": " + firstLine(out)}
		}
	}
	dir, err := os.MkdirTemp("", "preflight-realengine-")
	if err != nil {
		return engineInfo{skip: err.Error()}
	}
	tool := filepath.Join(dir, "compose-preflight")
	build := exec.CommandContext(ctx, "go", "build", "-o", tool, "./cmd/compose-preflight")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return engineInfo{skip: "building compose-preflight: " + string(out)}
	}
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	on, _ := engine.UserlandProxy(engine.EngineNamespace(engine.Endpoint{Host: host}, "/proc").PID, "/proc")
	return engineInfo{tool: tool, apiVersion: api, version: version, proxyOff: !on}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// apiBefore reports whether the engine's API version is older than v.
func (e engineInfo) apiBefore(v string) bool { return check.APIBefore(e.apiVersion, v) }

// env is the environment the tool and docker compose run with: this
// process's, less what would change their view (CI makes the tool
// --static; COMPOSE_* would change the project).
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "CI" || strings.HasPrefix(k, "COMPOSE_") || k == "NO_COLOR" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "NO_COLOR=1")
}

// run runs a command in dir and returns its combined output and exit code.
func run(t *testing.T, dir string, name string, args ...string) (string, int) {
	t.Helper()
	return runWith(t, dir, env(), name, args...)
}

// runWith is run with the environment environ.
func runWith(t *testing.T, dir string, environ []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = environ
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

// portError matches what docker compose up prints when a port cannot be
// published, on every engine version measured (research/engines.md).
var portError = regexp.MustCompile(`port is already allocated|address already in use|failed to bind host port|Failed to allocate and map port|cannot assign requested address|failed to allocate`)

// up runs docker compose up -d for project name in dir, with extra
// arguments (profiles) before `up`, and reports whether it failed on a
// port. Any other failure ends the test: the scenario is broken.
func up(t *testing.T, dir, name string, extra ...string) (failed bool, out string) {
	t.Helper()
	args := append([]string{"compose", "-p", name}, extra...)
	out, code := run(t, dir, "docker", append(args, "up", "-d", "--quiet-pull")...)
	if code == 0 {
		return false, out
	}
	if !portError.MatchString(out) {
		t.Fatalf("docker compose up failed, not on a port (exit %d):\n%s", code, out)
	}
	return true, out
}

// down removes everything of project name, whatever state it is in.
func down(t *testing.T, dir, name string) {
	t.Helper()
	if out, code := run(t, dir, "docker", "compose", "-p", name, "down", "-t", "0", "--remove-orphans", "-v"); code != 0 {
		t.Logf("docker compose -p %s down: exit %d\n%s", name, code, out)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string, r *strings.Replacer) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(r.Replace(content)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyDir copies a project folder, for --fix to edit while the original
// stays as it was.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

func describe(code int) string {
	switch code {
	case 0:
		return "clean"
	case 1:
		return "conflicts"
	}
	return fmt.Sprintf("exit %d", code)
}

// userlandProxy reports whether the engine publishes through docker-proxy
// (its default), from the daemon's command line.
func (e engineInfo) userlandProxy() bool { return !e.proxyOff }
