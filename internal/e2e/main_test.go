// Package e2e tests the built compose-preflight binary from the outside:
// real files copied into temporary folders, real sockets held by this
// process or by helper processes, and the binary run as a subprocess with
// a controlled environment, the way a user or a Makefile runs it.
//
// Each test that needs fixed ports (80, 443, 5432...) free and holdable
// runs in a fresh network namespace (internal/netnstest), so it needs root
// on Linux and is skipped otherwise.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// binaryEnv carries the path of the binary built by TestMain to the child
// test processes that netnstest.Isolate starts, so the binary is built once
// per `go test` run, not once per namespace.
const binaryEnv = "COMPOSE_PREFLIGHT_E2E_BINARY"

// holderEnv makes the test binary a socket holder for TestLargeHost: it
// reads a holdSpec (JSON) from the variable, opens its sockets, prints
// "ready" and waits to be killed.
const holderEnv = "COMPOSE_PREFLIGHT_E2E_HOLD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(holderEnv); spec != "" {
		os.Exit(holdMain(spec))
	}
	if os.Getenv(binaryEnv) != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "compose-preflight-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	bin, err := build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the binary:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	os.Setenv(binaryEnv, bin)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/compose-preflight from the repository root into dir:
// the tests run exactly what a user installs, not the package in-process.
func build(dir string) (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("no go.mod at %s: %w", root, err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "compose-preflight")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/compose-preflight")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return bin, nil
}

// binary is the path of the compose-preflight binary under test.
func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(binaryEnv)
	if bin == "" {
		t.Fatal("the binary was not built (TestMain did not run?)")
	}
	return bin
}

// result is what one run of the binary did.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int // -1 when killed by a signal
	wall   time.Duration
	maxRSS int64 // bytes, from the child's rusage
	err    error // only when the binary could not be started or waited for
}

func (r result) String() string {
	return fmt.Sprintf("compose-preflight %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// crashed reports whether the run ended in a way no user should see: a
// signal, a Go panic or runtime fatal error, or an exit code outside 0-2.
func (r result) crashed() bool {
	return r.err != nil || r.code < 0 || r.code > 2 ||
		strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "fatal error:") ||
		strings.Contains(r.stderr, "goroutine ")
}

// cleanEnv is the environment every run gets: PATH and a temporary HOME
// only, so no COMPOSE_*, CI or DOCKER_HOST of the machine running the tests
// leaks in (and CI=true would switch the binary to --static).
func cleanEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
}

// runBin runs the binary in dir with env and args, always with
// --engine=off: there is no Docker engine on a test machine, and asking
// for one would only add a warning and a timeout.
func runBin(bin, dir string, env []string, args ...string) result {
	args = append([]string{"--engine=off"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, wall: time.Since(start), code: -1}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		r.maxRSS = maxRSS(cmd.ProcessState)
		err = nil
	}
	r.err = err
	return r
}

// jsonReport is the part of the binary's --format json output (schema 1,
// README.md) these tests read.
type jsonReport struct {
	Schema  int `json:"schema"`
	Project struct {
		WorkingDir   string   `json:"working_dir"`
		ComposeFiles []string `json:"compose_files"`
		EnvFiles     []string `json:"env_files"`
		Services     int      `json:"services"`
		Ports        int      `json:"published_ports"`
	} `json:"project"`
	Summary struct {
		Errors   int `json:"errors"`
		ExitCode int `json:"exit_code"`
	} `json:"summary"`
	Findings []jsonFinding `json:"findings"`
}

type jsonFinding struct {
	Kind     string       `json:"kind"`
	Severity string       `json:"severity"`
	Service  string       `json:"service"`
	Message  string       `json:"message"`
	Binding  *jsonBinding `json:"binding"`
	Holders  []struct {
		Protocol string `json:"protocol"`
		Address  string `json:"address"`
		Port     int    `json:"port"`
		PID      int    `json:"pid"`
		Process  string `json:"process"`
	} `json:"holders"`
}

type jsonBinding struct {
	Service   string `json:"service"`
	HostIP    string `json:"host_ip"`
	Published string `json:"published"`
	Target    uint32 `json:"target"`
	Protocol  string `json:"protocol"`
}

func parseReport(r result) (jsonReport, error) {
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		return rep, fmt.Errorf("not a JSON report: %v", err)
	}
	if rep.Schema != 1 {
		return rep, fmt.Errorf("schema %d, want 1", rep.Schema)
	}
	if rep.Summary.ExitCode != r.code {
		return rep, fmt.Errorf("summary.exit_code %d but the process exited %d", rep.Summary.ExitCode, r.code)
	}
	return rep, nil
}

// copyTree copies the folder src to dst (regular files with their modes,
// folders, symbolic links as links), so a test can let --fix write to a
// project whose original is read-only and shared with other tests.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			in, err := os.Open(path)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
		return nil // sockets, devices: not part of a project
	})
}

// snapshot reads every regular file under dir, by path relative to dir.
func snapshot(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return nil
	})
	return files, err
}

// isPortByte is what --fix may change in a compose file: the digits of a
// port and the '-' of a range.
func isPortByte(c byte) bool { return c >= '0' && c <= '9' || c == '-' }

// portOnlyDiff reports whether new differs from old only inside runs of
// port bytes (digits and '-'): both are cut into alternating runs of port
// and other bytes, and every run of other bytes must be the same, in the
// same order. It returns how many port runs changed, or why not.
func portOnlyDiff(old, new []byte) (int, error) {
	a, b := runs(old), runs(new)
	if len(a) != len(b) {
		return 0, fmt.Errorf("the text around the ports changed (%d runs, now %d)", len(a), len(b))
	}
	changed := 0
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if !isPortByte(a[i][0]) || !isPortByte(b[i][0]) {
			return 0, fmt.Errorf("non-port text changed: %q became %q", a[i], b[i])
		}
		changed++
	}
	return changed, nil
}

// runs cuts b into maximal runs of port bytes and of other bytes.
func runs(b []byte) []string {
	var out []string
	for i := 0; i < len(b); {
		j := i + 1
		for j < len(b) && isPortByte(b[j]) == isPortByte(b[i]) {
			j++
		}
		out = append(out, string(b[i:j]))
		i = j
	}
	return out
}

// isPortText reports whether s is a host port or range as --fix writes
// it: "8081" or "9000-9005".
func isPortText(s string) bool {
	lo, hi, isRange := strings.Cut(s, "-")
	ok := func(p string) bool {
		if p == "" || len(p) > 5 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
		return true
	}
	return ok(lo) && (!isRange || ok(hi))
}

// leftoverTemps lists the files the atomic writer's temporaries are named
// like (".NAME.compose-preflight-*.tmp") under dir: a run must never
// leave one behind.
func leftoverTemps(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".compose-preflight-") && strings.HasSuffix(d.Name(), ".tmp") {
			out = append(out, path)
		}
		return nil
	})
	return out
}
