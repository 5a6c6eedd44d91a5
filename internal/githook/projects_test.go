package githook

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestStagedProjectsAreThoseTheCommitTouches(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "web", "compose.yaml"), "services:\n  web:\n    image: nginx\n    env_file: app.conf\n    ports: [\"8080:80\"]\n", 0o644)
	writeFile(t, filepath.Join(repo, "web", "app.conf"), "A=1\n", 0o644)
	writeFile(t, filepath.Join(repo, "db", "compose.yaml"), "services:\n  db:\n    image: postgres\n", 0o644)
	writeFile(t, filepath.Join(repo, "gone", "compose.yaml"), "services:\n  x:\n    image: busybox\n", 0o644)
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "first")

	// staged: web's compose file, a compose file nobody loads, a removed
	// project, and a CI workflow (other YAML); db is named as a FILE.
	writeFile(t, filepath.Join(repo, "web", "compose.yaml"), "services:\n  web:\n    image: nginx\n    env_file: app.conf\n    ports: [\"8081:80\"]\n", 0o644)
	writeFile(t, filepath.Join(repo, "extra", "compose.extra.yaml"), "services:\n  y:\n    ports: [\"9000:9000\"]\n", 0o644)
	writeFile(t, filepath.Join(repo, ".github", "workflows", "ci.yaml"), "on: push\n", 0o644)
	gitRun(t, repo, "rm", "-q", "gone/compose.yaml")
	gitRun(t, repo, "add", ".")

	st, cleanup, err := StageTree(context.Background(), filepath.Join(repo, "web"))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	noFile(t, filepath.Join(st.Root, "web", "app.conf")) // not a compose or env name
	touched, notes, err := st.Projects(context.Background(), []string{"../db/compose.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, p := range touched {
		dirs = append(dirs, p.Dir+"="+strings.Join(p.Files, "+"))
	}
	if got := strings.Join(dirs, " "); got != "db=db/compose.yaml web=web/compose.yaml" {
		t.Errorf("touched = %q", got)
	}
	wantNotes := "extra/compose.extra.yaml: part of no compose project (no compose file in its folder loads it): not checked\n" +
		"gone/compose.yaml: removed, and no project is left that reads it: nothing to check"
	if got := strings.Join(notes, "\n"); got != wantNotes {
		t.Errorf("notes:\n%s\nwant:\n%s", got, wantNotes)
	}
	// what the touched projects read is in the tree, as staged
	if got := readFile(t, filepath.Join(st.Root, "web", "app.conf")); got != "A=1\n" {
		t.Errorf("web/app.conf = %q", got)
	}
}

func TestStagedAddReadsAddsWhatNamedComposeFilesRead(t *testing.T) {
	repo := newRepo(t)
	writeFile(t, filepath.Join(repo, "deploy", "app.yaml"), "services:\n  web:\n    image: nginx\n    env_file: ../conf/web.conf\n", 0o644)
	writeFile(t, filepath.Join(repo, "conf", "web.conf"), "A=staged\n", 0o644)
	gitRun(t, repo, "add", ".")
	writeFile(t, filepath.Join(repo, "conf", "web.conf"), "A=not staged\n", 0o644)

	st, cleanup, err := StageTree(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	noFile(t, filepath.Join(st.Root, "conf", "web.conf"))
	if err := st.AddReads(context.Background(), []string{filepath.Join("deploy", "app.yaml")}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(st.Root, "conf", "web.conf")); got != "A=staged\n" {
		t.Errorf("conf/web.conf = %q", got)
	}
}
