package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerPlugin installs the binary as the README says and calls it the
// way the docker CLI does: the metadata subcommand, then `docker preflight`
// with the plugin name as the first argument. Where the docker CLI is
// installed (no engine needed for a plugin), it also runs it through it.
func TestDockerPlugin(t *testing.T) {
	bin := buildTool(t)
	home := t.TempDir()
	plugins := filepath.Join(home, ".docker", "cli-plugins")
	// The README's install step: mkdir -p ~/.docker/cli-plugins && cp compose-preflight ~/.docker/cli-plugins/docker-preflight
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(plugins, "docker-preflight")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "compose.yaml"), []byte(conflictCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}

	out, err := exec.Command(plugin, "docker-cli-plugin-metadata").Output()
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	var meta map[string]string
	if err := json.Unmarshal(out, &meta); err != nil {
		t.Fatalf("metadata is not JSON: %v\n%s", err, out)
	}
	if meta["SchemaVersion"] != "0.1.0" || meta["Vendor"] == "" || meta["ShortDescription"] == "" {
		t.Errorf("metadata %v lacks what the docker CLI reads", meta)
	}

	calls := [][]string{{plugin, "preflight", "--engine=off", "--static"}}
	if docker, err := exec.LookPath("docker"); err == nil {
		calls = append(calls, []string{docker, "preflight", "--engine=off", "--static"})
	} else {
		t.Log("no docker CLI here: called the plugin as the CLI would, not through it")
	}
	for _, argv := range calls {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = project, env
		out, err := cmd.CombinedOutput()
		ee, _ := err.(*exec.ExitError)
		if ee == nil || ee.ExitCode() != exitConflict || !strings.Contains(string(out), "[duplicate]") {
			t.Errorf("%s: want exit 1 with a duplicate finding, got %v:\n%s", strings.Join(argv, " "), err, out)
		}
	}
}
