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

// put writes a file of the repository, creating its folders.
func (r *gitRepo) put(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages paths (all changes when none) and commits through the
// hook; it returns the hook's output and whether the commit went through.
func (r *gitRepo) commit(msg string, paths ...string) (string, bool) {
	r.t.Helper()
	if len(paths) == 0 {
		paths = []string{"-A"}
	}
	r.run("git", append([]string{"add"}, paths...)...)
	out, err := r.try("git", "commit", "-q", "-m", msg)
	if strings.Contains(out, "compose-preflight-staged") {
		r.t.Errorf("%s: the output names the temporary folder:\n%s", msg, out)
	}
	return out, err == nil
}

// compose renders a compose file whose services publish the given host
// ports (service name -> port).
func composeWith(ports ...string) string {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 0; i+1 < len(ports); i += 2 {
		fmt.Fprintf(&b, "  %s:\n    image: nginx\n    ports:\n      - \"%s:80\"\n", ports[i], ports[i+1])
	}
	return b.String()
}

// TestHookLayouts commits through the installed hook in the layouts real
// repositories have: a project in deploy/ (with an override, an .env and
// an included fragment), three sibling projects, renames, deletions, and
// commits that touch no compose project. --static keeps the verdicts to
// the files, whatever this machine listens on.
func TestHookLayouts(t *testing.T) {
	bin := buildTool(t)
	r := newRepo(t)
	if out := r.run(bin, "hook", "install", "--", "--static"); !strings.Contains(out, "installed") {
		t.Fatalf("install said %q", out)
	}
	mustPass := func(msg string, paths ...string) string {
		t.Helper()
		out, ok := r.commit(msg, paths...)
		if !ok {
			t.Fatalf("%s: refused:\n%s", msg, out)
		}
		return out
	}
	mustRefuse := func(msg string, want ...string) string {
		t.Helper()
		out, ok := r.commit(msg)
		if ok {
			t.Fatalf("%s: went through:\n%s", msg, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", msg, w, out)
			}
		}
		r.run("git", "reset", "-q") // unstage, keep the work tree
		return out
	}

	// deploy/: compose.yaml, its override and .env, and a fragment it
	// includes from another folder.
	r.put("deploy/compose.yaml", "include:\n  - ../shared/db.yaml\nservices:\n  web:\n    image: nginx\n    ports:\n      - \"${WEB_PORT:-18080}:80\"\n  api:\n    image: nginx\n    ports:\n      - \"18080:80\"\n")
	r.put("deploy/compose.override.yaml", "services:\n  api:\n    ports: !override\n      - \"18081:80\"\n")
	r.put("shared/db.yaml", composeWith("db", "15432"))
	r.put("README.md", "hello\n")
	mustPass("deploy project")

	// A commit of no YAML or env file does not run the check at all.
	r.put("README.md", "hello again\n")
	if out := mustPass("readme"); out != "" {
		t.Errorf("a README commit printed:\n%s", out)
	}

	// The env file of the project's folder: web moves onto api's port.
	r.put("deploy/.env", "WEB_PORT=18081\n")
	mustRefuse("env file", "deploy/compose.yaml:7:", "[duplicate]", "WEB_PORT, set at deploy/.env:1:")

	// Staged and unstaged: the staged content is what is checked.
	r.put("deploy/.env", "WEB_PORT=18080\n")
	r.run("git", "add", "deploy/.env")
	r.put("deploy/.env", "WEB_PORT=18081\n")
	if out, err := r.try("git", "commit", "-q", "-m", "staged clean, work tree not"); err != nil {
		t.Fatalf("a clean staged .env was refused for the work tree's content:\n%s", out)
	}
	r.put("deploy/.env", "WEB_PORT=18080\n") // back to what is committed

	// The included fragment belongs to the project that includes it.
	r.put("shared/db.yaml", composeWith("db", "18081"))
	mustRefuse("fragment", "[duplicate]", "shared/db.yaml:")
	r.put("shared/db.yaml", composeWith("db", "15432"))

	// Deleting the override brings back the conflict it resolved.
	r.run("git", "rm", "-q", "deploy/compose.override.yaml")
	out, ok := r.commit("delete the override")
	if ok || !strings.Contains(out, "deploy/compose.yaml:11:") {
		t.Fatalf("deleting the override: went through = %v:\n%s", ok, out)
	}
	r.run("git", "reset", "-q", "HEAD", "--", "deploy/compose.override.yaml")
	r.run("git", "checkout", "--", "deploy/compose.override.yaml")

	// Three sibling projects: only the ones a commit touches are checked.
	r.put("svc/a/compose.yaml", composeWith("a", "19001"))
	r.put("svc/b/compose.yaml", composeWith("b", "19002"))
	r.put("svc/c/compose.yaml", composeWith("c", "19003"))
	mustPass("three services")
	r.put("svc/a/compose.yaml", "services: [\n") // broken, committed past the hook
	r.run("git", "add", "svc/a/compose.yaml")
	r.run("git", "commit", "-q", "--no-verify", "-m", "broken a")
	r.put("svc/b/compose.yaml", composeWith("b", "19002", "b2", "19002"))
	out = mustRefuse("conflict in b", "svc/b/compose.yaml:5:", "[duplicate]")
	if strings.Contains(out, "svc/a") || strings.Contains(out, "svc/c") {
		t.Errorf("projects the commit does not touch were checked:\n%s", out)
	}
	r.put("svc/b/compose.yaml", composeWith("b", "19002", "b2", "19004"))
	mustPass("b fixed", "svc/b")
	// A project that does not load: its file, from the repository's top.
	r.put("svc/a/.env", "X=1\n")
	out = mustRefuse("a touched", "svc/a/compose.yaml:")
	r.put("svc/a/compose.yaml", composeWith("a", "19001"))
	mustPass("a fixed")

	// A rename: the project in its new folder is checked.
	r.run("git", "mv", "svc/c", "svc/d")
	r.put("svc/d/compose.yaml", composeWith("d", "19005", "d2", "19005"))
	mustRefuse("rename with a conflict", "svc/d/compose.yaml:", "[duplicate]")
	r.put("svc/d/compose.yaml", composeWith("d", "19005"))
	mustPass("rename")

	// Deleting a whole project leaves nothing to check; an env file with
	// no project near it is passed over, with one line.
	r.run("git", "rm", "-q", "-r", "svc/d")
	r.put("config/.env", "A=1\n")
	out = mustPass("delete d, add a loose .env")
	if !strings.Contains(out, "config/.env: part of no compose project") || !strings.Contains(out, "svc/d/compose.yaml: removed") {
		t.Errorf("the passed-over files were not named:\n%s", out)
	}
}

// TestHookExplicitProject installs the hook for one named project: its
// load options are recorded and the staged content is checked.
func TestHookExplicitProject(t *testing.T) {
	bin := buildTool(t)
	r := newRepo(t)
	r.run(bin, "hook", "install", "--", "--static", "-f", "deploy/base.yml", "-f", "deploy/dev.yml", "--profile", "dev")
	hook, _ := os.ReadFile(filepath.Join(r.dir, ".git", "hooks", "pre-commit"))
	if !strings.Contains(string(hook), "--file=deploy/base.yml --file=deploy/dev.yml --profile=dev --static hook run") {
		t.Errorf("the hook does not record the options:\n%s", hook)
	}
	r.put("deploy/base.yml", composeWith("web", "18080")+"    env_file: web.conf\n")
	r.put("deploy/web.conf", "A=1\n") // another name: added to the staged copy
	r.put("deploy/dev.yml", "services:\n  tools:\n    image: x\n    profiles: [dev]\n    ports:\n      - \"18080:80\"\n")
	out, ok := r.commit("dev profile conflicts")
	if ok || !strings.Contains(out, "deploy/base.yml:5:10:") || !strings.Contains(out, "deploy/dev.yml:6:10") {
		t.Fatalf("explicit project: went through = %v:\n%s", ok, out)
	}
	// A project that does not load is named from the repository's top.
	r.run("git", "reset", "-q")
	r.put("deploy/dev.yml", "services: [\n")
	out, ok = r.commit("broken")
	if ok || !strings.Contains(out, "deploy/dev.yml:") {
		t.Fatalf("broken explicit project: went through = %v:\n%s", ok, out)
	}

	for _, bad := range [][]string{{"--", "--fix"}, {"--", "--nope"}, {"--", "compose.yaml"}} {
		out, err := r.try(bin, append([]string{"hook", "install"}, bad...)...)
		if err == nil {
			t.Errorf("hook install %q succeeded:\n%s", bad, out)
		}
	}
}

// TestHookRunReportsRepositoryPaths: every format of hook run names the
// repository's files, never the temporary copy of the staged ones.
func TestHookRunReportsRepositoryPaths(t *testing.T) {
	bin := buildTool(t)
	r := newRepo(t)
	r.put("deploy/compose.yaml", composeWith("web", "18080", "api", "18080"))
	r.put("svc/compose.yaml", composeWith("svc", "18090"))
	r.run("git", "add", "-A")
	for format, want := range map[string]string{
		"json":   `"file": "deploy/compose.yaml"`,
		"sarif":  `"uri": "deploy/compose.yaml"`,
		"github": "::error file=deploy/compose.yaml,line=5,col=10,",
		"text":   "deploy/compose.yaml:5:10: error:",
	} {
		out, err := r.try(bin, "--static", "--format", format, "hook", "run")
		if err == nil || !strings.Contains(out, want) || strings.Contains(out, "compose-preflight-staged") || strings.Contains(out, os.TempDir()) {
			t.Errorf("--format %s: err %v, want %q and no temporary path:\n%s", format, err, want, out)
		}
	}
}
