package githook

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// isolateGit makes every git run by the test (and by the code under test,
// which inherits the environment) ignore the user's and the system's git
// configuration, and forget any repository the test itself runs inside
// (as it would from a hook).
func isolateGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Test",
		"GIT_AUTHOR_EMAIL":    "test@example.invalid",
		"GIT_COMMITTER_NAME":  "Test",
		"GIT_COMMITTER_EMAIL": "test@example.invalid",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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

// stub is a fake compose-preflight: it appends its arguments and working
// folder to a log, and exits with the code in its code file.
type stub struct {
	path, log, code string
}

func newStub(t *testing.T, dir, name string) stub {
	t.Helper()
	s := stub{
		path: filepath.Join(dir, name),
		log:  filepath.Join(dir, name+".log"),
		code: filepath.Join(dir, name+".code"),
	}
	writeFile(t, s.code, "0\n", 0o644)
	writeFile(t, s.path, "#!/bin/sh\n"+
		"printf '%s|%s\\n' \"$*\" \"$(pwd -P)\" >> '"+s.log+"'\n"+
		"exit $(cat '"+s.code+"')\n", 0o755)
	return s
}

func (s stub) exitWith(t *testing.T, code string) {
	t.Helper()
	writeFile(t, s.code, code+"\n", 0o644)
}

// calls returns the logged calls and clears the log.
func (s stub) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(s.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(s.log)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
