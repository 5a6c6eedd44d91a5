package e2e

import (
	"net"
	"os"
	"os/exec"
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

// TestStdinComposeFile pipes a compose file to the binary, as `cat
// compose.yaml | docker compose -f - up` does: the check reads it (from -f
// - or from a - entry of COMPOSE_FILE, set in .env here, as compose-go
// reads it), and --fix refuses it with a usage error and writes nothing.
func TestStdinComposeFile(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	const piped = "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n      - \"8080:81\"\n"
	run := func(env []string, args ...string) result {
		cmd := exec.Command(bin, append([]string{"--engine=off", "--static"}, args...)...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(piped)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{args: args, code: -1, stdout: stdout.String(), stderr: stderr.String(), err: err}
		if cmd.ProcessState != nil {
			r.code, r.err = cmd.ProcessState.ExitCode(), nil
		}
		return r
	}
	env := cleanEnv(t.TempDir())
	if r := run(env, "-f", "-"); r.code != 1 || !strings.Contains(r.stdout, "[duplicate]") {
		t.Errorf("-f -: want the duplicate found (exit 1), got:\n%s", r)
	}
	if r := run(env, "-f", "-", "--fix"); r.code != 2 || !strings.Contains(r.stderr, "standard input (-f -)") {
		t.Errorf("-f - --fix: want a usage error (exit 2), got:\n%s", r)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("COMPOSE_FILE=-\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(env); r.code != 1 || !strings.Contains(r.stdout, "[duplicate]") {
		t.Errorf("COMPOSE_FILE=- in .env: want the duplicate found (exit 1), got:\n%s", r)
	}
	if r := run(env, "--dry-run"); r.code != 2 || !strings.Contains(r.stderr, "standard input (-f -)") {
		t.Errorf("COMPOSE_FILE=- --dry-run: want a usage error (exit 2), got:\n%s", r)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files appeared in the project: %v", entries)
	}
}
