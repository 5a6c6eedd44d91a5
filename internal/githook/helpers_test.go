package githook

import (
	"github.com/compose-preflight/compose-preflight/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func isolateGit(t *testing.T) { testutil.IsolateGit(t) }

// newRepo creates an empty repository with an isolated configuration and
// returns its work tree (symlinks resolved, as git reports it).
func newRepo(t *testing.T) string {
	t.Helper()
	isolateGit(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "-c", "init.defaultBranch=main", "init", "-q")
	return dir
}

// gitRun runs git in dir and fails the test if it fails.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitTry(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitTry(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	testutil.WriteFile(t, path, content, mode)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	return testutil.ReadFile(t, path)
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("%s: want no file, got err=%v", path, err)
	}
}

// needSh skips tests that run the hook script itself: it is POSIX sh,
// which only Git for Windows' own shell provides on Windows.
func needSh(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the hook is a POSIX sh script; run through Git for Windows' sh, not tested here")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
}

// newStub is a fake compose-preflight that logs "ARGS|DIR" per run.
func newStub(t *testing.T, dir, name string) testutil.Recorder {
	t.Helper()
	return testutil.NewRecorder(t, dir, name, true)
}
