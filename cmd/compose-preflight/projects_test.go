package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecursive(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/compose.yaml":         composeWith("web", "18080"),
		"b/docker-compose.yml":   composeWith("web", "18080", "api", "18080"),
		"b/compose.prod.yaml":    composeWith("prod", "18443"),
		"c/d/compose.yaml":       "services: [\n",
		"notes/unrelated.yaml":   "x: 1\n",
		"e/compose.override.yml": composeWith("ov", "1"), // no default file: no project
	})
	out, errOut, code := cliRun(t, dir, baseEnv(t), "--static", "--recursive")
	if code != exitUsage {
		t.Errorf("exit %d, want 2 (c/d does not load)", code)
	}
	for _, want := range []string{
		"a/compose.yaml:\nno conflicts in 1 service",
		"b/compose.prod.yaml:\nno conflicts",
		"b/docker-compose.yml:\nb/docker-compose.yml:5:10: error:",
		"4 compose projects checked: some could not be loaded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "compose-preflight: c/d/compose.yaml:1") || strings.Contains(out+errOut, "e/") || strings.Contains(out+errOut, dir) {
		t.Errorf("stderr:\n%s\nstdout:\n%s", errOut, out)
	}

	// From a subfolder: its projects only, paths from there; the worst
	// verdict there is a conflict.
	out, _, code = cliRun(t, filepath.Join(dir, "b"), baseEnv(t), "--static", "-r", "-q")
	if code != exitConflict || !strings.Contains(out, "docker-compose.yml:5:10:") || strings.Contains(out, "b/") {
		t.Errorf("in b: exit %d\n%s", code, out)
	}
	// One project: the report is the plain single-project one.
	out, _, code = cliRun(t, filepath.Join(dir, "a"), baseEnv(t), "--static", "-r")
	if code != exitClean || out != "no conflicts in 1 service (1 published port checked against the files only)\n" {
		t.Errorf("in a: exit %d\n%s", code, out)
	}

	for _, args := range [][]string{
		{"-r", "-f", "a/compose.yaml"},
		{"-r", "--project-directory", "a"},
		{"-r", "--fix"},
		{"-r", "--dry-run"},
		{"-r", "hook", "install"},
	} {
		if _, errOut, code := cliRun(t, dir, baseEnv(t), args...); code != exitUsage || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	if _, errOut, code := cliRun(t, filepath.Join(dir, "notes"), baseEnv(t), "-r"); code != exitUsage || !strings.Contains(errOut, "no compose project found") {
		t.Errorf("no project: exit %d, %q", code, errOut)
	}
}

// TestRecursiveTopProjectHonoursComposeFile: the project of the folder
// the run starts in is loaded as docker compose there loads it, with the
// COMPOSE_FILE its .env sets.
func TestRecursiveTopProjectHonoursComposeFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"compose.yaml":     composeWith("web", "18080"),
		"compose.dev.yaml": composeWith("tools", "18080"),
		".env":             "COMPOSE_FILE=compose.yaml:compose.dev.yaml\n",
		"svc/compose.yaml": composeWith("svc", "18090"),
	})
	out, _, code := cliRun(t, dir, baseEnv(t), "--static", "-r", "-q")
	if code != exitConflict || !strings.Contains(out, "compose.yaml:5:10: error:") || !strings.Contains(out, "compose.dev.yaml:5:10") {
		t.Errorf("exit %d, want the dev file's conflict:\n%s", code, out)
	}
}

// TestRecursiveSaysTheRunOnce: a finding about the run (no engine), which
// every project reports alike, is written once, under the first project,
// and still counted in each project's summary; the findings on a file's
// line are written for each project.
func TestRecursiveSaysTheRunOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port) // free once closed
	l.Close()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/compose.yaml": composeWith("web", port, "api", port),
		"b/compose.yaml": composeWith("web", port, "api", port),
	})
	env := append(baseEnv(t), "DOCKER_HOST=unix://"+filepath.Join(dir, "no-engine.sock"))
	out, _, code := cliRun(t, dir, env, "-r")
	if code != exitConflict {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(out, "compose-preflight: warning: no Docker engine"); n != 1 {
		t.Errorf("the missing engine is said %d times, want once:\n%s", n, out)
	}
	for _, want := range []string{"a/compose.yaml:5:10: error:", "b/compose.yaml:5:10: error:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// b's summary counts the engine's warning it does not repeat: the two
	// projects' summaries are the same
	var summaries []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "1 conflict in 2 services (") {
			summaries = append(summaries, line)
		}
	}
	if len(summaries) != 2 || summaries[0] != summaries[1] || !strings.Contains(summaries[0], "warning") {
		t.Errorf("want each project's summary to count its conflict and the engine's warning:\n%s", out)
	}
}

// TestRecursiveSARIFNoneLoads: when no project loads, --format sarif still
// prints a log a SARIF reader accepts (one run of this tool, no results),
// and the exit code says the projects did not load.
func TestRecursiveSARIFNoneLoads(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/compose.yaml": "services: [\n",
		"b/compose.yaml": "services:\n  web:\n    image: x\n    ports: [\"99999:80\"]\n",
	})
	out, errOut, code := cliRun(t, dir, baseEnv(t), "--static", "--recursive", "--format", "sarif")
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name string `json:"name"`
				} `json:"driver"`
			} `json:"tool"`
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "compose-preflight" || len(log.Runs[0].Results) != 0 {
		t.Errorf("want a SARIF 2.1.0 log with one run of compose-preflight and no results, got:\n%s", out)
	}
	if !strings.Contains(errOut, "a/compose.yaml:1") || !strings.Contains(errOut, "b/compose.yaml:4") {
		t.Errorf("stderr does not name both broken files:\n%s", errOut)
	}
}
