package githook

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestInstallFreshIsIdempotentAndUninstallRemovesIt(t *testing.T) {
	repo := newRepo(t)
	hook := filepath.Join(repo, ".git", "hooks", "pre-commit")

	res, err := Install(repo, []string{"/opt/bin/compose-preflight"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != hook || res.Chained != "" || !res.Changed {
		t.Fatalf("first install: %+v", res)
	}
	first := readFile(t, hook)
	if !strings.Contains(first, marker) || !strings.HasPrefix(first, "#!/bin/sh\n") {
		t.Fatalf("hook does not look like ours:\n%s", first)
	}
	if runtime.GOOS != "windows" && mode(t, hook).Perm() != 0o755 {
		t.Fatalf("hook mode %v, want 0755", mode(t, hook))
	}

	res, err = Install(repo, []string{"/opt/bin/compose-preflight"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Chained != "" {
		t.Fatalf("second install changed something: %+v", res)
	}
	if got := readFile(t, hook); got != first {
		t.Fatalf("second install rewrote the hook:\n%s", got)
	}
	noFile(t, filepath.Join(repo, ".git", "hooks", chainedName))

	// A new binary path rewrites our hook in place.
	res, err = Install(repo, []string{"/usr/local/bin/compose-preflight"})
	if err != nil || !res.Changed {
		t.Fatalf("install with a new path: %+v, %v", res, err)
	}
	if !strings.Contains(readFile(t, hook), "preflight=/usr/local/bin/compose-preflight\n") {
		t.Fatalf("hook does not run the new path:\n%s", readFile(t, hook))
	}

	res, err = Uninstall(repo)
	if err != nil || !res.Changed || res.Chained != "" {
		t.Fatalf("uninstall: %+v, %v", res, err)
	}
	noFile(t, hook)
	res, err = Uninstall(repo)
	if err != nil || res.Changed {
		t.Fatalf("second uninstall: %+v, %v", res, err)
	}
}

func TestInstallChainsTheExistingHookOnceAndUninstallRestoresIt(t *testing.T) {
	repo := newRepo(t)
	hooks := filepath.Join(repo, ".git", "hooks")
	hook := filepath.Join(hooks, "pre-commit")
	chained := filepath.Join(hooks, chainedName)
	const previous = "#!/bin/sh\n# the team's own checks\nexit 0\n"
	writeFile(t, hook, previous, 0o750)

	res, err := Install(repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chained != chained || !res.Changed {
		t.Fatalf("install: %+v", res)
	}
	if got := readFile(t, chained); got != previous {
		t.Fatalf("chained hook content changed:\n%s", got)
	}
	ours := readFile(t, hook)
	if !isOurs([]byte(ours)) {
		t.Fatal("pre-commit is not ours after install")
	}

	res, err = Install(repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Chained != chained {
		t.Fatalf("second install: %+v", res)
	}
	if readFile(t, hook) != ours || readFile(t, chained) != previous {
		t.Fatal("second install changed the hooks (double chaining?)")
	}

	res, err = Uninstall(repo)
	if err != nil || !res.Changed || res.Chained != chained {
		t.Fatalf("uninstall: %+v, %v", res, err)
	}
	if got := readFile(t, hook); got != previous {
		t.Fatalf("uninstall did not restore the previous hook:\n%s", got)
	}
	if runtime.GOOS != "windows" && mode(t, hook).Perm() != 0o750 {
		t.Fatalf("restored hook mode %v, want 0750", mode(t, hook))
	}
	noFile(t, chained)
}

func TestInstallChainsASymlinkedHookAsALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	repo := newRepo(t)
	hooks := filepath.Join(repo, ".git", "hooks")
	hook := filepath.Join(hooks, "pre-commit")
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../tools/pre-commit", hook); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(repo, nil); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(hooks, chainedName)); err != nil || target != "../../tools/pre-commit" {
		t.Fatalf("chained hook is not the same link: %q, %v", target, err)
	}
	if _, err := Uninstall(repo); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(hook); err != nil || target != "../../tools/pre-commit" {
		t.Fatalf("restored hook is not the same link: %q, %v", target, err)
	}
}

func TestInstallRefusesToOverwriteAChainedHook(t *testing.T) {
	repo := newRepo(t)
	hooks := filepath.Join(repo, ".git", "hooks")
	writeFile(t, filepath.Join(hooks, "pre-commit"), "#!/bin/sh\necho first\n", 0o755)
	if _, err := Install(repo, nil); err != nil {
		t.Fatal(err)
	}
	// Another tool replaced our hook since: installing again must not
	// lose either of the two foreign hooks.
	const other = "#!/bin/sh\necho second\n"
	writeFile(t, filepath.Join(hooks, "pre-commit"), other, 0o755)
	if _, err := Install(repo, nil); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if readFile(t, filepath.Join(hooks, "pre-commit")) != other || readFile(t, filepath.Join(hooks, chainedName)) != "#!/bin/sh\necho first\n" {
		t.Fatal("a refused install changed the hooks")
	}
}

func TestUninstallLeavesAForeignHookAlone(t *testing.T) {
	repo := newRepo(t)
	hook := filepath.Join(repo, ".git", "hooks", "pre-commit")
	const foreign = "#!/bin/sh\nexit 0\n"
	writeFile(t, hook, foreign, 0o755)
	if _, err := Uninstall(repo); err == nil {
		t.Fatal("uninstall removed or accepted a hook that is not ours")
	}
	if readFile(t, hook) != foreign {
		t.Fatal("foreign hook changed")
	}
}

func TestInstallFollowsCoreHooksPathAndWorktrees(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "sub", "README"), "x\n", 0o644)
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "init")

	// A linked worktree shares the main repository's hooks.
	wt := filepath.Join(filepath.Dir(repo), filepath.Base(repo)+"-wt")
	gitRun(t, repo, "worktree", "add", "-q", wt)
	t.Cleanup(func() { os.RemoveAll(wt) })
	res, err := Install(wt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(repo, ".git", "hooks", "pre-commit"); res.Hook != want {
		t.Fatalf("worktree hook at %s, want %s", res.Hook, want)
	}

	// A relative core.hooksPath is relative to the top of the work tree,
	// wherever Install is called from.
	gitRun(t, repo, "config", "core.hooksPath", "team-hooks")
	res, err = Install(filepath.Join(repo, "sub"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(repo, "team-hooks", "pre-commit"); res.Hook != want {
		t.Fatalf("hook at %s, want %s", res.Hook, want)
	}
	if !isOurs([]byte(readFile(t, res.Hook))) {
		t.Fatal("hook in core.hooksPath is not ours")
	}
}

func TestInstallOutsideARepositoryFails(t *testing.T) {
	isolateGit(t)
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	if _, err := Install(dir, nil); err == nil {
		t.Fatal("install outside a repository succeeded")
	}
}

func TestHookCommandMustNotBeRelative(t *testing.T) {
	repo := newRepo(t)
	for _, cmd := range [][]string{{"./bin/compose-preflight"}, {"bin/compose-preflight"}, {""}} {
		if _, err := Install(repo, cmd); err == nil {
			t.Errorf("Install(%q) accepted a command that would run from the repository", cmd)
		}
	}
	noFile(t, filepath.Join(repo, ".git", "hooks", "pre-commit"))
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/compose-preflight": "/usr/bin/compose-preflight",
		"--profile=dev":              "--profile=dev",
		"a b":                        "'a b'",
		"it's":                       `'it'\''s'`,
		"$HOME":                      "'$HOME'",
		"":                           "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestResultSays: each outcome of Install and Uninstall reads as what
// happened, naming the hook and the chained one.
func TestResultSays(t *testing.T) {
	repo := newRepo(t)
	hooks := filepath.Join(repo, ".git", "hooks")
	hook, chained := filepath.Join(hooks, "pre-commit"), filepath.Join(hooks, chainedName)
	writeFile(t, hook, "#!/bin/sh\nexit 0\n", 0o755)
	steps := []struct {
		do   func(string) (Result, error)
		want string
	}{
		{func(r string) (Result, error) { return Install(r, nil) }, "installed " + hook + "; it runs the hook that was there first (now " + chained + ")"},
		{func(r string) (Result, error) { return Install(r, nil) }, hook + " is already installed"},
		{Uninstall, "removed " + hook + " and put back the hook that was there before"},
		{func(r string) (Result, error) { os.Remove(hook); return Install(r, nil) }, "installed " + hook},
		{Uninstall, "removed " + hook},
		{Uninstall, "no compose-preflight hook to remove"},
	}
	for i, s := range steps {
		res, err := s.do(repo)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := res.String(); got != s.want {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
}

// TestProgram: the program the hook records is this binary by an
// absolute path with no link left in it, which Install accepts.
func TestProgram(t *testing.T) {
	p, err := Program()
	if err != nil {
		t.Fatal(err)
	}
	if real, err := filepath.EvalSymlinks(p); err != nil || real != p || !filepath.IsAbs(p) {
		t.Errorf("Program() = %q: want an absolute path without links (resolved: %q, %v)", p, real, err)
	}
	if _, err := Install(newRepo(t), []string{p}); err != nil {
		t.Errorf("Install refuses Program(): %v", err)
	}
}
