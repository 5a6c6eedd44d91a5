package githook

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// commit runs a real `git commit`, which runs the installed hook.
func commit(t *testing.T, repo string, args ...string) (string, error) {
	t.Helper()
	return gitTry(repo, append([]string{"commit", "-q", "-m", "test"}, args...)...)
}

func TestHookRunsOnlyWhenAComposeOrEnvFileIsStaged(t *testing.T) {
	needSh(t)
	repo := newRepo(t)
	bin := newStub(t, t.TempDir(), "compose-preflight")
	if _, err := Install(repo, []string{bin.Path, "--profile", "dev tools"}); err != nil {
		t.Fatal(err)
	}

	writeFile(t, filepath.Join(repo, "README.md"), "hello\n", 0o644)
	gitRun(t, repo, "add", "README.md")
	if out, err := commit(t, repo); err != nil {
		t.Fatalf("commit without compose files failed: %v\n%s", err, out)
	}
	if calls := bin.Calls(t); calls != nil {
		t.Fatalf("fast path ran compose-preflight: %q", calls)
	}

	// A staged compose file in a subfolder, with a failing check, stops
	// the commit; the check runs from the top of the work tree.
	writeFile(t, filepath.Join(repo, "deploy", "compose.yaml"), "services: {}\n", 0o644)
	gitRun(t, repo, "add", ".")
	bin.ExitWith(t, "1")
	if out, err := commit(t, repo); err == nil {
		t.Fatalf("commit went through a failing check:\n%s", out)
	}
	want := "--profile dev tools hook run|" + repo
	if calls := bin.Calls(t); !slices.Equal(calls, []string{want}) {
		t.Fatalf("calls %q, want [%q]", calls, want)
	}

	// --no-verify skips the hook, as for any pre-commit hook.
	if out, err := commit(t, repo, "--no-verify"); err != nil {
		t.Fatalf("commit --no-verify failed: %v\n%s", err, out)
	}
	if calls := bin.Calls(t); calls != nil {
		t.Fatalf("--no-verify ran compose-preflight: %q", calls)
	}

	// A passing check lets the commit through.
	writeFile(t, filepath.Join(repo, ".env"), "WEB_PORT=8081\n", 0o644)
	gitRun(t, repo, "add", ".env")
	bin.ExitWith(t, "0")
	if out, err := commit(t, repo); err != nil {
		t.Fatalf("commit with a passing check failed: %v\n%s", err, out)
	}
	if calls := bin.Calls(t); len(calls) != 1 {
		t.Fatalf("calls %q, want one", calls)
	}

	// A deletion runs the check too: deleting an override or a .env
	// changes the project left behind; compose-preflight decides.
	gitRun(t, repo, "rm", "-q", "deploy/compose.yaml")
	bin.ExitWith(t, "1")
	if out, err := commit(t, repo); err == nil {
		t.Fatalf("commit of a deletion went through a failing check:\n%s", out)
	}
	if calls := bin.Calls(t); len(calls) != 1 {
		t.Fatalf("deletion: calls %q, want one", calls)
	}
}

func TestHookTriggerNames(t *testing.T) {
	needSh(t)
	repo := newRepo(t)
	bin := newStub(t, t.TempDir(), "compose-preflight")
	res, err := Install(repo, []string{bin.Path})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range triggerTable() {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), "x: 1\n", 0o644)
		gitRun(t, repo, "add", "--", name)
		cmd := exec.Command(res.Hook)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: hook failed: %v\n%s", name, err, out)
		}
		if got := bin.Calls(t) != nil; got != want {
			t.Errorf("staging %q: ran the check = %v, want %v", name, got, want)
		}
		gitRun(t, repo, "rm", "-q", "--cached", "--", name)
	}
}

// triggerTable says, for staged paths, whether the hook must run a check.
// The pre-commit framework's files regex is held to the same table.
func triggerTable() map[string]bool {
	return map[string]bool{
		"compose.yaml":                   true,
		"compose.yml":                    true,
		"compose.override.yaml":          true,
		"compose.prod.yml":               true,
		"docker-compose.yml":             true,
		"docker-compose.override.yaml":   true,
		"deploy/compose.yaml":            true,
		"a b/docker-compose.dev.yml":     true,
		"déjà/compose.yaml":              true,
		".env":                           true,
		".env.local":                     true,
		"config/prod.env":                true,
		"deploy/.env":                    true,
		"README.md":                      false,
		"compose.json":                   false,
		"app.yaml":                       true,
		"environment.txt":                false,
		"mycompose.yaml":                 true,
		"compose/README.md":              false,
		"src/docker-compose-helper.go":   false,
		".github/workflows/release.yaml": true,
	}
}

func TestHookRunsTheChainedHookFirstWithItsArgumentsAndInput(t *testing.T) {
	needSh(t)
	repo := newRepo(t)
	hooks := filepath.Join(repo, ".git", "hooks")
	log := filepath.Join(t.TempDir(), "chained.log")
	writeFile(t, filepath.Join(hooks, "pre-commit"), "#!/bin/sh\n"+
		"printf 'args=%s stdin=%s\\n' \"$*\" \"$(cat)\" >> '"+log+"'\n"+
		"exit \"${CHAINED_EXIT:-0}\"\n", 0o755)
	bin := newStub(t, t.TempDir(), "compose-preflight")
	res, err := Install(repo, []string{bin.Path})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, "compose.yaml"), "services: {}\n", 0o644)
	gitRun(t, repo, "add", "compose.yaml")

	cmd := exec.Command(res.Hook, "one", "two words")
	cmd.Dir = repo
	cmd.Stdin = strings.NewReader("input")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hook failed: %v\n%s", err, out)
	}
	if got := readFile(t, log); got != "args=one two words stdin=input\n" {
		t.Fatalf("chained hook saw %q", got)
	}
	if calls := bin.Calls(t); len(calls) != 1 {
		t.Fatalf("compose-preflight calls %q, want one after the chained hook", calls)
	}

	// The chained hook's failure fails the commit, before any check.
	t.Setenv("CHAINED_EXIT", "3")
	if out, err := commit(t, repo); err == nil {
		t.Fatalf("commit went through a failing chained hook:\n%s", out)
	}
	if calls := bin.Calls(t); calls != nil {
		t.Fatalf("compose-preflight ran after the chained hook failed: %q", calls)
	}
	t.Setenv("CHAINED_EXIT", "0")
	if out, err := commit(t, repo); err != nil {
		t.Fatalf("commit failed: %v\n%s", err, out)
	}
}

func TestHookFallsBackToPATHOnlyWhenTheInstallerIsGone(t *testing.T) {
	needSh(t)
	repo := newRepo(t)
	installer := newStub(t, t.TempDir(), "compose-preflight")
	pathDir := t.TempDir()
	inPath := newStub(t, pathDir, "compose-preflight")
	t.Setenv("PATH", pathDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if _, err := Install(repo, []string{installer.Path}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, "compose.yaml"), "services: {}\n", 0o644)
	gitRun(t, repo, "add", "compose.yaml")

	// While the installing binary exists, PATH is not consulted.
	writeFile(t, filepath.Join(repo, "a.env"), "A=1\n", 0o644)
	gitRun(t, repo, "add", "a.env")
	if out, err := commit(t, repo); err != nil {
		t.Fatalf("commit failed: %v\n%s", err, out)
	}
	if installer.Calls(t) == nil || inPath.Calls(t) != nil {
		t.Fatal("hook did not run the binary that installed it")
	}

	os.Remove(installer.Path)
	writeFile(t, filepath.Join(repo, "b.env"), "B=1\n", 0o644)
	gitRun(t, repo, "add", "b.env")
	out, err := commit(t, repo)
	if err != nil {
		t.Fatalf("commit failed: %v\n%s", err, out)
	}
	if inPath.Calls(t) == nil {
		t.Fatal("hook did not fall back to compose-preflight from PATH")
	}
	if !strings.Contains(out, "using compose-preflight from PATH") {
		t.Errorf("fallback was silent:\n%s", out)
	}

	// Neither: the commit stops and says what to do.
	os.Remove(inPath.Path)
	writeFile(t, filepath.Join(repo, "c.env"), "C=1\n", 0o644)
	gitRun(t, repo, "add", "c.env")
	out, err = commit(t, repo)
	if err == nil || !strings.Contains(out, "--no-verify") {
		t.Fatalf("commit without any compose-preflight: err=%v\n%s", err, out)
	}
}
