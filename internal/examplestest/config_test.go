package examplestest

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/compose-preflight/compose-preflight/internal/githook"
)

// preCommitHook is one entry of .pre-commit-hooks.yaml.
type preCommitHook struct {
	ID            string `yaml:"id"`
	Name          string `yaml:"name"`
	Entry         string `yaml:"entry"`
	Language      string `yaml:"language"`
	Files         string `yaml:"files"`
	PassFilenames *bool  `yaml:"pass_filenames"`
	RequireSerial *bool  `yaml:"require_serial"`
}

func decodeYAML(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadHooks(t *testing.T) map[string]preCommitHook {
	t.Helper()
	var list []preCommitHook
	decodeYAML(t, filepath.Join(repoRoot(t), ".pre-commit-hooks.yaml"), &list)
	hooks := map[string]preCommitHook{}
	for _, h := range list {
		hooks[h.ID] = h
	}
	return hooks
}

func TestPreCommitHooksFile(t *testing.T) {
	hooks := loadHooks(t)
	for id, entry := range map[string]string{
		"compose-preflight":        "compose-preflight hook run",
		"compose-preflight-static": "compose-preflight hook run --static",
	} {
		h, ok := hooks[id]
		if !ok {
			t.Errorf("no hook %q", id)
			continue
		}
		if h.Entry != entry || h.Language != "golang" || h.Name == "" {
			t.Errorf("%s: entry %q language %q name %q", id, h.Entry, h.Language, h.Name)
		}
		if h.PassFilenames == nil || !*h.PassFilenames {
			t.Errorf("%s: pass_filenames must be true: hook run checks the projects of the files it is given (every project with --all-files)", id)
		}
		if h.RequireSerial == nil || !*h.RequireSerial {
			t.Errorf("%s: require_serial must be true", id)
		}
		if _, err := regexp.Compile(h.Files); err != nil {
			t.Errorf("%s: files: %v", id, err)
		}
	}
	if len(hooks) != 2 {
		t.Errorf("hooks %v, want the two above", slices.Sorted(maps.Keys(hooks)))
	}

	// The example configuration names hooks that exist.
	var cfg struct {
		Repos []struct {
			Repo  string `yaml:"repo"`
			Rev   string `yaml:"rev"`
			Hooks []struct {
				ID string `yaml:"id"`
			} `yaml:"hooks"`
		} `yaml:"repos"`
	}
	decodeYAML(t, filepath.Join(repoRoot(t), "examples", "ci", "pre-commit-config.yaml"), &cfg)
	if len(cfg.Repos) != 1 || cfg.Repos[0].Rev == "" || len(cfg.Repos[0].Hooks) == 0 {
		t.Fatalf("example pre-commit config: %+v", cfg)
	}
	if want := "https://" + modulePath(t); cfg.Repos[0].Repo != want {
		t.Errorf("example repo %q, want %q", cfg.Repos[0].Repo, want)
	}
	for _, h := range cfg.Repos[0].Hooks {
		if _, ok := hooks[h.ID]; !ok {
			t.Errorf("example uses hook %q, which .pre-commit-hooks.yaml lacks", h.ID)
		}
	}
}

// TestPreCommitFilesAgreeWithTheGitHook holds the pre-commit framework's
// files regex to the names the git hook installed by githook reacts to,
// by running the real hook on each staged name.
func TestPreCommitFilesAgreeWithTheGitHook(t *testing.T) {
	needUnixTools(t, "sh")
	isolateGit(t)
	hooks := loadHooks(t)
	re := regexp.MustCompile(hooks["compose-preflight"].Files)
	if hooks["compose-preflight-static"].Files != hooks["compose-preflight"].Files {
		t.Error("the two hooks react to different files")
	}

	repo := t.TempDir()
	must(t, repo, "git", "-c", "init.defaultBranch=main", "init", "-q")
	stub := newRecorder(t, t.TempDir(), "compose-preflight")
	res, err := githook.Install(repo, []string{stub.Path})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"compose.yaml", "compose.yml", "compose.override.yaml", "compose.prod.yml",
		"docker-compose.yml", "docker-compose.override.yaml", "deploy/compose.yaml",
		"a b/docker-compose.dev.yml", ".env", ".env.local", "config/prod.env", "deploy/.env",
		"README.md", "compose.json", "app.yaml", "environment.txt", "mycompose.yaml",
		"compose/README.md", "src/docker-compose-helper.go", ".github/workflows/ci.yaml",
		"compose.yaml.orig", "x.env.sample",
	} {
		writeFile(t, filepath.Join(repo, filepath.FromSlash(name)), "x: 1\n", 0o644)
		must(t, repo, "git", "add", "--", name)
		must(t, repo, res.Hook)
		hookRan := stub.Calls(t) != nil
		if regexRuns := re.MatchString(name); hookRan != regexRuns {
			t.Errorf("%q: git hook runs a check = %v, pre-commit files regex matches = %v", name, hookRan, regexRuns)
		}
		must(t, repo, "git", "rm", "-q", "--cached", "--", name)
	}
}

func TestGitHubActionsWorkflow(t *testing.T) {
	for _, name := range []string{"github-actions.yml", "github-actions-recursive.yml"} {
		t.Run(name, func(t *testing.T) { checkWorkflow(t, name) })
	}
}

func checkWorkflow(t *testing.T, name string) {
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			RunsOn string `yaml:"runs-on"`
			Steps  []struct {
				Name string         `yaml:"name"`
				Uses string         `yaml:"uses"`
				Run  string         `yaml:"run"`
				With map[string]any `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	decodeYAML(t, filepath.Join(repoRoot(t), "examples", "ci", name), &wf)
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	install := "go install " + modulePath(t) + "/cmd/compose-preflight@latest"
	if _, err := os.Stat(filepath.Join(repoRoot(t), "cmd", "compose-preflight")); err != nil {
		t.Errorf("the workflow installs ./cmd/compose-preflight: %v", err)
	}
	var installed, checked bool
	for id, job := range wf.Jobs {
		if job.RunsOn == "" {
			t.Errorf("job %s has no runs-on", id)
		}
		for _, step := range job.Steps {
			run := strings.TrimSpace(step.Run)
			switch {
			case run == install:
				installed = true
			case strings.HasPrefix(run, "compose-preflight"):
				if !installed {
					t.Errorf("step %q runs compose-preflight before installing it", step.Name)
				}
				if !strings.Contains(run, " --format github") {
					t.Errorf("step %q: %q lacks --format github", step.Name, run)
				}
				checked = true
			}
		}
	}
	if !installed || !checked {
		t.Fatalf("workflow: install step %v, check step %v", installed, checked)
	}
}

func TestLefthookConfig(t *testing.T) {
	var cfg map[string]struct {
		Commands map[string]struct {
			Glob []string `yaml:"glob"`
			Run  string   `yaml:"run"`
		} `yaml:"commands"`
	}
	decodeYAML(t, filepath.Join(repoRoot(t), "examples", "ci", "lefthook.yml"), &cfg)
	cmd, ok := cfg["pre-commit"].Commands["compose-preflight"]
	if !ok {
		t.Fatalf("no pre-commit command compose-preflight: %+v", cfg)
	}
	if cmd.Run != "compose-preflight hook run" {
		t.Errorf("run %q, want the staged-content check", cmd.Run)
	}
	for _, want := range []string{"*.y*ml", "**/*.y*ml", "**/.env*", "**/*.env"} {
		if !slices.Contains(cmd.Glob, want) {
			t.Errorf("glob lacks %q", want)
		}
	}
}

// modulePath reads the module path from go.mod, so the snippets that
// install the tool follow a rename.
func modulePath(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepath.Join(repoRoot(t), "go.mod")), "\n") {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// lookPathOrSkip skips the test when a program it needs is not installed.
func lookPathOrSkip(t *testing.T, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (%s): skipping", name, hint)
	}
	return p
}
