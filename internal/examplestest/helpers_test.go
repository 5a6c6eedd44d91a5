package examplestest

import (
	"bytes"
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
// user's configuration and any repository the test runs inside. It
// returns the temporary HOME.
func isolateGit(t *testing.T) string {
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

// recorder is a fake program: it appends its arguments to a log and exits
// with the code in its code file.
type recorder struct {
	path, log, code string
}

func newRecorder(t *testing.T, dir, name string) recorder {
	t.Helper()
	r := recorder{
		path: filepath.Join(dir, name),
		log:  filepath.Join(dir, name+".log"),
		code: filepath.Join(dir, name+".code"),
	}
	writeFile(t, r.code, "0\n", 0o644)
	writeFile(t, r.path, "#!/bin/sh\n"+
		"printf '%s\\n' \"$*\" >> '"+r.log+"'\n"+
		"exit $(cat '"+r.code+"')\n", 0o755)
	return r
}

func (r recorder) exitWith(t *testing.T, code string) {
	t.Helper()
	writeFile(t, r.code, code+"\n", 0o644)
}

// calls returns the logged argument lists and clears the log.
func (r recorder) calls(t *testing.T) []string {
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
