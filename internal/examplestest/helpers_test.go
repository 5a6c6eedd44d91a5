package examplestest

import (
	"bytes"
	"github.com/compose-preflight/compose-preflight/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the checkout's top folder: the one holding go.mod above this
// package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// isolateGit makes the git, make and pre-commit runs of a test ignore the
// user's configuration; it returns the temporary HOME.
func isolateGit(t *testing.T) string { return testutil.IsolateGit(t) }

// run runs a command in dir and returns its combined output and error.
func run(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// must runs a command and fails the test when it fails.
func must(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := run(dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	testutil.WriteFile(t, path, content, mode)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	return testutil.ReadFile(t, path)
}

// copyDir copies the regular files of src (not recursing into .git) to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// needUnixTools skips tests that run POSIX sh scripts and make.
func needUnixTools(t *testing.T, tools ...string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("runs POSIX sh scripts")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// newRecorder is a fake program that logs its arguments per run.
func newRecorder(t *testing.T, dir, name string) testutil.Recorder {
	t.Helper()
	return testutil.NewRecorder(t, dir, name, false)
}

// buildCLI builds cmd/compose-preflight into a temporary folder.
func buildCLI(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "compose-preflight")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := run(repoRoot(t), gobin, "build", "-o", bin, "./cmd/compose-preflight"); err != nil {
		t.Fatalf("build compose-preflight: %v\n%s", err, out)
	}
	return bin
}
