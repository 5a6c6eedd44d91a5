// Package testutil holds what several packages' tests need to run git and
// programs for real: a git isolated from the user's configuration, files
// written in one call, and a recording stand-in for a program.
package testutil

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// IsolateGit makes every git run by the test (and by the code under test,
// which inherits the environment) ignore the user's and the system's git
// configuration, and forget any repository the test itself runs inside
// (as it would from a hook). It returns the temporary HOME.
func IsolateGit(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":      filepath.Join(home, ".cache"),
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
	return home
}

// WriteFile writes content to path with mode, making its folders.
func WriteFile(t *testing.T, path, content string, mode os.FileMode) {
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

// ReadFile returns the content of path.
func ReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Recorder is a stand-in program (a POSIX sh script): each run appends its
// arguments (and, with WithDir, its working folder as "ARGS|DIR") to a log
// and exits with the code in its code file.
type Recorder struct {
	Path, log, code string
}

// NewRecorder writes the program as dir/name.
func NewRecorder(t *testing.T, dir, name string, withDir bool) Recorder {
	t.Helper()
	r := Recorder{
		Path: filepath.Join(dir, name),
		log:  filepath.Join(dir, name+".log"),
		code: filepath.Join(dir, name+".code"),
	}
	line := `printf '%s\n' "$*"`
	if withDir {
		line = `printf '%s|%s\n' "$*" "$(pwd -P)"`
	}
	WriteFile(t, r.code, "0\n", 0o644)
	WriteFile(t, r.Path, "#!/bin/sh\n"+line+" >> '"+r.log+"'\nexit $(cat '"+r.code+"')\n", 0o755)
	return r
}

// ExitWith sets the exit code of the next runs.
func (r Recorder) ExitWith(t *testing.T, code string) {
	t.Helper()
	WriteFile(t, r.code, code+"\n", 0o644)
}

// Calls returns the logged runs and clears the log.
func (r Recorder) Calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(r.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(r.log)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Start starts cmd with pipes to its standard input and output (its
// standard error is the test's), for a helper process the test talks to:
// it reads the helper's lines and closes its stdin to stop it. Waiting for
// the process is the caller's.
func Start(tb testing.TB, cmd *exec.Cmd) (stdin io.WriteCloser, stdout *bufio.Reader) {
	tb.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return stdin, bufio.NewReader(out)
}
