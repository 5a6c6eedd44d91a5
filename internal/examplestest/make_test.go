package examplestest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMakefileWiring runs the example Makefile with real make, a fake
// compose-preflight and a fake docker first in PATH: `make up` checks
// before it starts, stops on a conflict, and FIX=1 asks for --fix.
func TestMakefileWiring(t *testing.T) {
	needUnixTools(t, "make", "sh")
	project := filepath.Join(repoRoot(t), "examples", "make")
	bin := t.TempDir()
	preflight := newRecorder(t, bin, "compose-preflight")
	docker := newRecorder(t, bin, "docker")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// make must see neither variable from the test's own environment.
	t.Setenv("FIX", "")
	os.Unsetenv("FIX")
	t.Setenv("MAKEFLAGS", "")

	make := func(args ...string) (string, error) {
		return run(project, "make", append([]string{"--no-print-directory"}, args...)...)
	}

	// The default PREFLIGHT is compose-preflight from PATH.
	if out, err := make("preflight"); err != nil {
		t.Fatalf("make preflight: %v\n%s", err, out)
	}
	if got := preflight.Calls(t); !slices.Equal(got, []string{""}) {
		t.Fatalf("make preflight ran compose-preflight with %q, want no arguments", got)
	}
	if got := docker.Calls(t); got != nil {
		t.Fatalf("make preflight ran docker %q", got)
	}

	if out, err := make("up"); err != nil {
		t.Fatalf("make up: %v\n%s", err, out)
	}
	if got := preflight.Calls(t); len(got) != 1 {
		t.Fatalf("make up ran compose-preflight %d times", len(got))
	}
	if got := docker.Calls(t); !slices.Equal(got, []string{"compose up -d"}) {
		t.Fatalf("make up ran docker %q, want [compose up -d]", got)
	}

	if out, err := make("up", "FIX=1"); err != nil {
		t.Fatalf("make up FIX=1: %v\n%s", err, out)
	}
	if got := preflight.Calls(t); !slices.Equal(got, []string{"--fix"}) {
		t.Fatalf("make up FIX=1 ran compose-preflight with %q, want [--fix]", got)
	}
	docker.Calls(t)

	// A conflict (exit 1) stops make before docker compose up.
	preflight.ExitWith(t, "1")
	if out, err := make("up"); err == nil {
		t.Fatalf("make up went on after a conflict:\n%s", out)
	}
	if got := docker.Calls(t); got != nil {
		t.Fatalf("make up ran docker %q after a conflict", got)
	}

	// PREFLIGHT overrides the program, with its own flags.
	other := newRecorder(t, t.TempDir(), "preflight")
	if out, err := make("preflight", "PREFLIGHT="+other.Path+" --static"); err != nil {
		t.Fatalf("make preflight PREFLIGHT=...: %v\n%s", err, out)
	}
	if got := other.Calls(t); !slices.Equal(got, []string{"--static"}) {
		t.Fatalf("overridden PREFLIGHT ran with %q", got)
	}
}

// TestMakePreflightWithTheRealBinary runs `make preflight` with the
// compose-preflight built from this checkout, on the example project and
// on a copy given a duplicate port. --static keeps the result independent
// of what this machine happens to be listening on.
func TestMakePreflightWithTheRealBinary(t *testing.T) {
	needUnixTools(t, "make", "sh")
	t.Setenv("MAKEFLAGS", "")
	cli := buildCLI(t)

	out, err := run(repoRoot(t), "make", "--no-print-directory", "-C", "examples/make", "preflight", "PREFLIGHT="+cli+" --static")
	if err != nil {
		t.Fatalf("make preflight on the example: %v\n%s", err, out)
	}

	project := t.TempDir()
	copyDir(t, filepath.Join(repoRoot(t), "examples", "make"), project)
	compose := filepath.Join(project, "compose.yaml")
	// api now publishes web's port on every address as well.
	writeFile(t, compose, strings.Replace(readFile(t, compose),
		`"127.0.0.1:${API_PORT:-18081}:80"`, `"${WEB_PORT:-18080}:8080"`, 1), 0o644)
	bin := t.TempDir()
	docker := newRecorder(t, bin, "docker")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	out, err = run(project, "make", "--no-print-directory", "up", "PREFLIGHT="+cli+" --static")
	if err == nil {
		t.Fatalf("make up passed a project with a duplicate port:\n%s", out)
	}
	if !strings.Contains(out, "duplicate") {
		t.Errorf("make up output does not name the duplicate:\n%s", out)
	}
	if got := docker.Calls(t); got != nil {
		t.Fatalf("make up ran docker %q after a conflict", got)
	}
}
