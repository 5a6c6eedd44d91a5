package examplestest

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recursiveStep is the check command of the monorepo CI snippet.
func recursiveStep(t *testing.T) []string {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	decodeYAML(t, filepath.Join(repoRoot(t), "examples", "ci", "github-actions-recursive.yml"), &wf)
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Run, "compose-preflight ") {
				return strings.Fields(s.Run)
			}
		}
	}
	t.Fatal("the monorepo workflow runs no compose-preflight step")
	return nil
}

// TestMonorepoExample runs the monorepo CI snippet's command on
// examples/monorepo (clean: no annotation, exit 0), then on a copy in a
// real git repository: the snippet's command annotates a conflict with an
// included fragment, naming both files, and the git hook checks only
// the projects a commit touches.
func TestMonorepoExample(t *testing.T) {
	needUnixTools(t, "sh")
	bin := buildCLI(t)
	example := filepath.Join(repoRoot(t), "examples", "monorepo")
	step := recursiveStep(t)
	if strings.Join(step, " ") != "compose-preflight --static --recursive --format github" {
		t.Errorf("CI step %q", step)
	}
	ci := func(dir string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, step[1:]...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "CI=true")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := ci(example); code != 0 || strings.Contains(out, "::") {
		t.Fatalf("the example is not clean: exit %d\n%s", code, out)
	}

	// The JSON report lists the three projects, each with its own files.
	out, err := run(example, bin, "--static", "--recursive", "--format", "json")
	if err != nil {
		t.Fatalf("--recursive --format json: %v\n%s", err, out)
	}
	var rep struct {
		Schema   int `json:"schema"`
		Projects []struct {
			Name         string   `json:"name"`
			ComposeFiles []string `json:"compose_files"`
		} `json:"projects"`
		Project struct {
			Services int `json:"services"`
		} `json:"project"`
		Summary struct {
			ExitCode int `json:"exit_code"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var names []string
	for _, p := range rep.Projects {
		names = append(names, p.Name)
	}
	if rep.Schema != 1 || strings.Join(names, " ") != "blog search shop" || rep.Project.Services != 5 || rep.Summary.ExitCode != 0 {
		t.Errorf("JSON report: %+v", rep)
	}

	isolateGit(t)
	repo := filepath.Join(t.TempDir(), "mono")
	copyDir(t, example, repo)
	must(t, repo, "git", "-c", "init.defaultBranch=main", "init", "-q")
	must(t, repo, bin, "hook", "install", "--", "--static")
	commit := func(msg string) (string, bool) {
		t.Helper()
		must(t, repo, "git", "add", "-A")
		out, err := run(repo, "git", "commit", "-q", "-m", msg)
		if err != nil {
			must(t, repo, "git", "reset", "-q")
		}
		return out, err == nil
	}
	if out, ok := commit("the example"); !ok {
		t.Fatalf("the example's first commit was refused:\n%s", out)
	}

	// The cache fragment takes search's port: the hook refuses the
	// commit, and the CI command annotates the fragment's line.
	cache := filepath.Join(repo, "shared", "cache.yaml")
	clean := readFile(t, cache)
	writeFile(t, cache, strings.Replace(clean, `"127.0.0.1:6379:6379"`, `"7700:6379"`, 1), 0o644)
	if out, ok := commit("cache on 7700"); ok || !strings.Contains(out, "shared/cache.yaml:5:10:") {
		t.Fatalf("a conflict in the included fragment: went through = %v:\n%s", ok, out)
	}
	if out, code := ci(repo); code != 1 || !strings.Contains(out, "::error file=search/compose.yaml,line=7,col=10,") || !strings.Contains(out, "at shared/cache.yaml:5:10") {
		t.Fatalf("CI on the conflict: exit %d\n%s", code, out)
	}
	writeFile(t, cache, clean, 0o644)

	// shop broken past the hook; a commit of blog's .env checks blog only.
	writeFile(t, filepath.Join(repo, "shop", "compose.yaml"), "services: [\n", 0o644)
	must(t, repo, "git", "add", "-A")
	must(t, repo, "git", "commit", "-q", "--no-verify", "-m", "broken shop")
	writeFile(t, filepath.Join(repo, "blog", ".env"), "BLOG_PORT=8091\n", 0o644)
	if out, ok := commit("blog port"); !ok {
		t.Fatalf("a commit of blog/.env checked more than blog:\n%s", out)
	}
	if out, code := ci(repo); code != 2 || !strings.Contains(out, "shop/compose.yaml:1") {
		t.Fatalf("CI with shop broken: exit %d, want 2 naming shop/compose.yaml\n%s", code, out)
	}
}
