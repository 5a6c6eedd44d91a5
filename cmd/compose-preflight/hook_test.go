package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// built is the real binary, built once for the tests that need it as a
// separate program (the git hook calls it by its absolute path).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func buildTool(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "preflight-bin"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "compose-preflight")
		out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

type gitRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home := t.TempDir()
	r := &gitRepo{t: t, dir: t.TempDir(), env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	}}
	r.run("git", "init", "-q", "-b", "main")
	return r
}

// run runs a command in the repository and returns its output and error.
func (r *gitRepo) try(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *gitRepo) run(name string, args ...string) string {
	r.t.Helper()
	out, err := r.try(name, args...)
	if err != nil {
		r.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func (r *gitRepo) write(name, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

const (
	cleanCompose    = "services:\n  web:\n    image: nginx\n    ports:\n      - \"18080:80\"\n"
	conflictCompose = "services:\n  web:\n    image: nginx\n    ports:\n      - \"18080:80\"\n  api:\n    image: api\n    ports:\n      - \"127.0.0.1:18080:3000\"\n"
)

// TestHookEndToEnd installs the hook in a real repository with a hook of
// its own, and commits through it: the staged content is what is checked,
// unrelated commits take the fast path, --no-verify skips it, and
// uninstall puts everything back.
func TestHookEndToEnd(t *testing.T) {
	bin := buildTool(t)
	r := newRepo(t)
	theirs := "#!/bin/sh\necho chained >> \"$(git rev-parse --git-dir)/chained.log\"\n"
	hookPath := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hookPath, []byte(theirs), 0o755); err != nil {
		t.Fatal(err)
	}

	out := r.run(bin, "--engine=off", "hook", "install")
	if !strings.Contains(out, "installed") || !strings.Contains(out, "chained") {
		t.Fatalf("install said %q", out)
	}
	installed, _ := os.ReadFile(hookPath)
	if out := r.run(bin, "--engine=off", "hook", "install"); !strings.Contains(out, "already installed") {
		t.Errorf("second install said %q", out)
	}
	if again, _ := os.ReadFile(hookPath); !bytes.Equal(again, installed) {
		t.Error("installing twice changed the hook")
	}

	r.write("README", "hello\n")
	r.run("git", "add", "README")
	r.run("git", "commit", "-q", "-m", "no compose file: fast path")
	if log, _ := os.ReadFile(filepath.Join(r.dir, ".git", "chained.log")); string(log) != "chained\n" {
		t.Errorf("the chained hook did not run once: %q", log)
	}

	// Staged: clean. Work tree: a conflict, not staged. The commit checks
	// what is staged, so it passes.
	r.write("compose.yaml", cleanCompose)
	r.run("git", "add", "compose.yaml")
	r.write("compose.yaml", conflictCompose)
	if out, err := r.try("git", "commit", "-q", "-m", "clean staged"); err != nil {
		t.Fatalf("commit of a clean staged file refused: %v\n%s", err, out)
	}

	// Staged: the conflict. Work tree: clean again. Refused.
	r.run("git", "add", "compose.yaml")
	r.write("compose.yaml", cleanCompose)
	out, err := r.try("git", "commit", "-q", "-m", "conflict staged")
	if err == nil || !strings.Contains(out, "[duplicate]") || !strings.Contains(out, "compose.yaml:5:10:") {
		t.Fatalf("commit of a conflicting staged file: err %v, output:\n%s", err, out)
	}
	if _, err := r.try("git", "commit", "-q", "--no-verify", "-m", "skip the hook"); err != nil {
		t.Fatalf("--no-verify did not skip the hook: %v", err)
	}

	if out := r.run(bin, "hook", "uninstall"); !strings.Contains(out, "put back") {
		t.Errorf("uninstall said %q", out)
	}
	if back, _ := os.ReadFile(hookPath); string(back) != theirs {
		t.Errorf("uninstall left %q, want the original hook back", back)
	}
}
