package examplestest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestPreCommitFramework runs the real pre-commit tool on a repository
// whose .pre-commit-config.yaml is the example one, pointed at a snapshot
// of this checkout: pre-commit clones it, builds it with `go install ./...`
// (language: golang) and runs both hooks of .pre-commit-hooks.yaml on real
// commits. A clean compose file is committed; one where two services
// publish the same port is refused.
//
// Why a snapshot and not `repo: local`: a local golang hook builds from
// additional_dependencies (the module proxy's released code), never from
// .pre-commit-hooks.yaml, so it would test neither this file nor this
// checkout. pre-commit needs the rev committed, and the checkout may hold
// uncommitted work, so its tracked and untracked (not ignored) files are
// committed into a temporary repository. The first run builds the tool
// and may take a minute.
func TestPreCommitFramework(t *testing.T) {
	needUnixTools(t, "sh")
	preCommit := lookPathOrSkip(t, "pre-commit", "apt-get install pre-commit")
	goBin := lookPathOrSkip(t, "go", "pre-commit's golang hooks build with the go in PATH")
	root := repoRoot(t)
	// Keep the build and module caches when HOME moves: pre-commit's
	// `go install` then needs no download it has not already had.
	goCache := strings.TrimSpace(must(t, root, goBin, "env", "GOCACHE"))
	goModCache := strings.TrimSpace(must(t, root, goBin, "env", "GOMODCACHE"))
	home := isolateGit(t)
	t.Setenv("GOCACHE", goCache)
	t.Setenv("GOMODCACHE", goModCache)
	t.Setenv("PRE_COMMIT_HOME", filepath.Join(home, "pre-commit-cache"))
	t.Setenv("PRE_COMMIT_COLOR", "never")

	src, rev := snapshot(t, root)

	// The example configuration, with this snapshot as the repo, and the
	// static hook added so both hooks run.
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(root, "examples", "ci", "pre-commit-config.yaml"))), &cfg); err != nil {
		t.Fatal(err)
	}
	repos := cfg["repos"].([]any)
	repo := repos[0].(map[string]any)
	repo["repo"] = src
	repo["rev"] = rev
	repo["hooks"] = append(repo["hooks"].([]any), map[string]any{"id": "compose-preflight-static"})
	config, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	project := filepath.Join(t.TempDir(), "shop")
	must(t, filepath.Dir(project), "git", "-c", "init.defaultBranch=main", "init", "-q", project)
	writeFile(t, filepath.Join(project, ".pre-commit-config.yaml"), string(config), 0o644)
	must(t, project, preCommit, "install")

	// Clean: two services on two ports free right now, so the full hook
	// (which checks this machine too) passes as well as the static one.
	web, api := freePort(t, 21080), freePort(t, 22080)
	writeFile(t, filepath.Join(project, "compose.yaml"), fmt.Sprintf(`services:
  web:
    image: nginx:1.27
    ports:
      - "%d:80"
  api:
    image: traefik/whoami:v1.10
    ports:
      - "%d:80"
`, web, api), 0o644)
	must(t, project, "git", "add", ".")
	out, err := run(project, "git", "commit", "-m", "clean")
	if err != nil {
		t.Fatalf("pre-commit refused a clean project: %v\n%s", err, out)
	}
	for _, name := range []string{"compose-preflight (static)", "compose-preflight"} {
		if !strings.Contains(out, name+".") {
			t.Errorf("hook %q did not run:\n%s", name, out)
		}
	}
	if strings.Contains(out, "Failed") {
		t.Errorf("a hook failed on a clean project:\n%s", out)
	}

	// Conflict: api publishes web's port too.
	writeFile(t, filepath.Join(project, "compose.yaml"), strings.Replace(readFile(t, filepath.Join(project, "compose.yaml")),
		fmt.Sprintf(`"%d:80"`, api), fmt.Sprintf(`"%d:80"`, web), 1), 0o644)
	must(t, project, "git", "add", "compose.yaml")
	out, err = run(project, "git", "commit", "-m", "conflict")
	if err == nil {
		t.Fatalf("pre-commit let a duplicate port through:\n%s", out)
	}
	t.Logf("the refused commit:\n%s", out)
	if strings.Count(out, "Failed") != 2 || !strings.Contains(out, "duplicate") {
		t.Errorf("want both hooks to fail with a duplicate finding:\n%s", out)
	}
	if log := must(t, project, "git", "log", "--format=%s"); strings.TrimSpace(log) != "clean" {
		t.Errorf("history %q, want the clean commit only", log)
	}
	must(t, project, "git", "reset", "-q")
	must(t, project, "git", "checkout", "--", "compose.yaml")

	layouts(t, project, web, api)
}

// layouts commits through the framework's hooks in the layouts of real
// repositories: a project in deploy/, sibling projects of which a commit
// touches one, a file of no project, args: in the configuration, and
// pre-commit run --all-files.
func layouts(t *testing.T, project string, web, api int) {
	commit := func(msg string) (string, bool) {
		t.Helper()
		must(t, project, "git", "add", "-A")
		out, err := run(project, "git", "commit", "-m", msg)
		if strings.Contains(out, "compose-preflight-staged") {
			t.Errorf("%s: the output names a temporary folder:\n%s", msg, out)
		}
		if err != nil {
			must(t, project, "git", "reset", "-q")
		}
		return out, err == nil
	}
	service := func(name string, port int) string {
		return fmt.Sprintf("  %s:\n    image: nginx:1.27\n    ports:\n      - \"%d:80\"\n", name, port)
	}

	// deploy/: refused on a duplicate, naming deploy/compose.yaml.
	writeFile(t, filepath.Join(project, "deploy", "compose.yaml"), "services:\n"+service("web", web)+service("api", web), 0o644)
	out, ok := commit("deploy conflict")
	if ok || strings.Count(out, "Failed") != 2 || !strings.Contains(out, "deploy/compose.yaml:5:10:") {
		t.Fatalf("deploy/ with a duplicate: went through = %v:\n%s", ok, out)
	}
	writeFile(t, filepath.Join(project, "deploy", "compose.yaml"), "services:\n"+service("web", web)+service("api", api), 0o644)
	if out, ok := commit("deploy clean"); !ok {
		t.Fatalf("deploy/ clean: refused:\n%s", out)
	}

	// Three siblings, one broken past the hooks: a commit that touches
	// another one checks that one only.
	for i, name := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(project, "svc", name, "compose.yaml"), "services:\n"+service(name, web+1+i), 0o644)
	}
	if out, ok := commit("siblings"); !ok {
		t.Fatalf("three clean siblings: refused:\n%s", out)
	}
	writeFile(t, filepath.Join(project, "svc", "a", "compose.yaml"), "services: [\n", 0o644)
	must(t, project, "git", "add", "-A")
	must(t, project, "git", "commit", "-q", "--no-verify", "-m", "broken a")
	writeFile(t, filepath.Join(project, "svc", "b", "compose.yaml"), "services:\n"+service("b", web+2)+service("b2", web+2), 0o644)
	out, ok = commit("b conflict")
	if ok || !strings.Contains(out, "svc/b/compose.yaml:") || strings.Contains(out, "svc/a/") {
		t.Fatalf("a conflict in svc/b: went through = %v (want refused for svc/b only):\n%s", ok, out)
	}
	writeFile(t, filepath.Join(project, "svc", "b", "compose.yaml"), "services:\n"+service("b", web+2)+service("b2", web+5), 0o644)
	writeFile(t, filepath.Join(project, "notes", ".env"), "A=1\n", 0o644)
	if out, ok := commit("b fixed, a loose .env"); !ok {
		t.Fatalf("svc/b fixed: refused:\n%s", out)
	}

	// --all-files checks every project: the broken one too.
	out, err := run(project, "pre-commit", "run", "--all-files")
	if err == nil || !strings.Contains(out, "svc/a/compose.yaml:1") {
		t.Fatalf("pre-commit run --all-files: err %v, want svc/a's load error:\n%s", err, out)
	}
	writeFile(t, filepath.Join(project, "svc", "a", "compose.yaml"), "services:\n"+service("a", web+1), 0o644)
	if out, ok := commit("a fixed"); !ok {
		t.Fatalf("svc/a fixed: refused:\n%s", out)
	}

	// args: the static hook with --profile dev sees the dev service,
	// which takes web's port; the other hook does not enable it.
	cfgPath := filepath.Join(project, ".pre-commit-config.yaml")
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, cfgPath)), &cfg); err != nil {
		t.Fatal(err)
	}
	hooks := cfg["repos"].([]any)[0].(map[string]any)["hooks"].([]any)
	for _, h := range hooks {
		if h.(map[string]any)["id"] == "compose-preflight-static" {
			h.(map[string]any)["args"] = []any{"--profile", "dev"}
		}
	}
	config, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfgPath, string(config), 0o644)
	writeFile(t, filepath.Join(project, "deploy", "compose.yaml"), "services:\n"+service("web", web)+service("api", api)+
		fmt.Sprintf("  tools:\n    image: busybox\n    profiles: [dev]\n    ports:\n      - \"%d:80\"\n", web), 0o644)
	out, ok = commit("a dev tool on web's port")
	if ok || strings.Count(out, "Failed") != 1 || !strings.Contains(out, "service \"tools\"") {
		t.Fatalf("args: [--profile, dev]: went through = %v, want the static hook alone to fail on tools:\n%s", ok, out)
	}
}

// snapshot commits the checkout's tracked and untracked (not ignored)
// files into a new repository and returns its path and HEAD commit.
func snapshot(t *testing.T, root string) (dir, rev string) {
	t.Helper()
	list, err := run(root, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		t.Skipf("the checkout is not a git work tree (%v): pre-commit needs one to clone", err)
	}
	dir = filepath.Join(t.TempDir(), "compose-preflight")
	for _, name := range bytes.Split([]byte(list), []byte{0}) {
		if len(name) == 0 {
			continue
		}
		src := filepath.Join(root, filepath.FromSlash(string(name)))
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		writeFile(t, filepath.Join(dir, filepath.FromSlash(string(name))), readFile(t, src), fi.Mode().Perm())
	}
	must(t, dir, "git", "-c", "init.defaultBranch=main", "init", "-q")
	must(t, dir, "git", "add", "-A")
	must(t, dir, "git", "commit", "-q", "-m", "snapshot")
	return dir, strings.TrimSpace(must(t, dir, "git", "rev-parse", "HEAD"))
}

// freePort returns a TCP port at or above from that nothing listens on at
// the moment, on either family. It starts below the usual ephemeral ranges
// (32768 on Linux, 49152 elsewhere), so the check warns about nothing.
func freePort(t *testing.T, from int) int {
	t.Helper()
	for p := from; p < from+1000; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatalf("no free TCP port in %d-%d", from, from+999)
	return 0
}
