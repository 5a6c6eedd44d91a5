package githook

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// listTree returns the files under dir, slash-separated, with contents.
func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func keys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func TestStageTreeHoldsTheIndexVersionAndUntrackedEnvFiles(t *testing.T) {
	repo := newRepo(t)
	w := func(name, content string) {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), content, 0o644)
	}
	w(".gitignore", ".env\n*.local.yaml\n")
	w("compose.yaml", "version: committed\n")
	w("app/main.go", "package main\n")
	w("deploy/compose.override.yml", "override: committed\n")
	w("deploy/gone.yaml", "gone: true\n")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "init")

	w("compose.yaml", "version: staged\n")
	gitRun(t, repo, "add", "compose.yaml")
	w("compose.yaml", "version: worktree, not staged\n") // half-staged
	gitRun(t, repo, "rm", "-q", "--cached", "deploy/gone.yaml")
	w(".env", "WEB_PORT=8081\n")                  // ignored, read by compose
	w("deploy/dev.local.yaml", "local: true\n")   // ignored
	w("deploy/new.env", "NEW=1\n")                // untracked, not ignored
	w("notes.txt", "not a compose or env file\n") // untracked, other name
	w("app/main.go", "package main // changed\n") // tracked, other name
	gitRun(t, repo, "add", "app/main.go")

	st, cleanup, err := StageTree(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	root := st.Dir
	if st.Root != st.Dir {
		t.Errorf("Root %s and Dir %s differ at the top of the work tree", st.Root, st.Dir)
	}
	// the commit: compose.yaml and app/main.go changed, deploy/gone.yaml deleted
	if got := strings.Join(st.Changed, " "); got != "app/main.go compose.yaml deploy/gone.yaml" {
		t.Errorf("Changed = %q", got)
	}
	got := listTree(t, root)
	want := map[string]string{
		"compose.yaml":                "version: staged\n",
		"deploy/compose.override.yml": "override: committed\n",
		".env":                        "WEB_PORT=8081\n",
		"deploy/dev.local.yaml":       "local: true\n",
		"deploy/new.env":              "NEW=1\n",
		// deploy/gone.yaml is removed from the index but still in the
		// work tree: untracked, so it is what compose reads.
		"deploy/gone.yaml": "gone: true\n",
	}
	if strings.Join(keys(got), " ") != strings.Join(keys(want), " ") {
		t.Fatalf("staged tree holds %q, want %q", keys(got), keys(want))
	}
	for name, content := range want {
		if got[name] != content {
			t.Errorf("%s = %q, want %q", name, got[name], content)
		}
	}
	cleanup()
	noFile(t, root)
}

func TestStageTreeMirrorsTheWorkTreeAroundASubfolder(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, ".env"), "A=1\n", 0o644)
	writeFile(t, filepath.Join(repo, "svc", "compose.yaml"), "services: {}\n", 0o644)
	writeFile(t, filepath.Join(repo, "common", "base.yaml"), "x: 1\n", 0o644)
	gitRun(t, repo, "add", ".")

	st, cleanup, err := StageTree(context.Background(), filepath.Join(repo, "svc"))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	dir := st.Dir
	if st.Root != filepath.Dir(dir) {
		t.Errorf("Root %s is not the parent of %s", st.Root, dir)
	}
	// the first commit: everything staged is new
	if got := strings.Join(st.Changed, " "); got != ".env common/base.yaml svc/compose.yaml" {
		t.Errorf("Changed = %q", got)
	}
	if filepath.Base(dir) != "svc" {
		t.Fatalf("dir %s is not the counterpart of svc", dir)
	}
	// Paths relative to the subfolder reach the same files as in the
	// work tree, including ones above it.
	for rel, want := range map[string]string{
		"compose.yaml":        "services: {}\n",
		"../.env":             "A=1\n",
		"../common/base.yaml": "x: 1\n",
	} {
		if got := readFile(t, filepath.Join(dir, filepath.FromSlash(rel))); got != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
	cleanup()
	noFile(t, filepath.Dir(dir))
}

func TestStageTreeUsesGitIndexFile(t *testing.T) {
	// `git commit compose.yaml` and `git commit -a` commit a temporary
	// index that git names in GIT_INDEX_FILE for the hook.
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "compose.yaml"), "v: 1\n", 0o644)
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "init")
	writeFile(t, filepath.Join(repo, "compose.yaml"), "v: 2\n", 0o644)

	alt := filepath.Join(t.TempDir(), "index")
	t.Setenv("GIT_INDEX_FILE", alt)
	gitRun(t, repo, "read-tree", "HEAD")
	gitRun(t, repo, "add", "compose.yaml")

	st, cleanup, err := StageTree(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	dir := st.Dir
	if got := readFile(t, filepath.Join(dir, "compose.yaml")); got != "v: 2\n" {
		t.Fatalf("compose.yaml = %q, want the temporary index's version", got)
	}
}

func TestStageTreeKeepsModesAndSkipsSubmodulesAndDanglingLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes and symlinks differ on Windows")
	}
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "secret.env"), "TOKEN=x\n", 0o600)
	if err := os.Symlink("missing.env", filepath.Join(repo, ".env")); err != nil {
		t.Fatal(err)
	}
	// A gitlink entry whose name looks like a YAML file.
	gitRun(t, repo, "update-index", "--add", "--cacheinfo",
		"160000,1111111111111111111111111111111111111111,vendor.yaml")

	st, cleanup, err := StageTree(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	dir := st.Dir
	if m := mode(t, filepath.Join(dir, "secret.env")).Perm(); m != 0o600 {
		t.Errorf("secret.env mode %v, want 0600", m)
	}
	noFile(t, filepath.Join(dir, ".env"))
	noFile(t, filepath.Join(dir, "vendor.yaml"))
}

func TestStageTreeOutsideARepositoryFails(t *testing.T) {
	isolateGit(t)
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	if _, _, err := StageTree(context.Background(), dir); err == nil {
		t.Fatal("StageTree outside a repository succeeded")
	}
}

func TestStagedAddTakesTheIndexVersionOrTheWorkTrees(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "compose.yaml"), "services: {}\n", 0o644)
	writeFile(t, filepath.Join(repo, "web", "app.conf"), "A=staged\n", 0o644)
	gitRun(t, repo, "add", ".")
	writeFile(t, filepath.Join(repo, "web", "app.conf"), "A=not staged\n", 0o644)
	writeFile(t, filepath.Join(repo, "local.conf"), "B=untracked\n", 0o644)

	st, cleanup, err := StageTree(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	noFile(t, filepath.Join(st.Root, "web", "app.conf"))
	if err := st.Add(context.Background(), []string{"web/app.conf", "local.conf", "missing.conf", "../outside.conf", "compose.yaml"}); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"web/app.conf": "A=staged\n", "local.conf": "B=untracked\n", "compose.yaml": "services: {}\n"} {
		if got := readFile(t, filepath.Join(st.Root, filepath.FromSlash(rel))); got != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
	noFile(t, filepath.Join(st.Root, "missing.conf"))
	noFile(t, filepath.Join(filepath.Dir(st.Root), "outside.conf"))
}

// TestRepoPaths: a report of the staged copy names its files as the
// repository does, and the copy's top as ".".
func TestRepoPaths(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "svc", "compose.yaml"), "services: {}\n", 0o644)
	st, cleanup, err := StageTree(context.Background(), filepath.Join(repo, "svc"))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	file := filepath.Join(st.Dir, "compose.yaml")
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err) // the report would name a file the copy does not hold
	}
	got := st.RepoPaths(file + ":3:9: error: ... [in-use]\n\"working_dir\": \"" + st.Root + "\"\n")
	want := filepath.Join("svc", "compose.yaml") + ":3:9: error: ... [in-use]\n\"working_dir\": \".\"\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
