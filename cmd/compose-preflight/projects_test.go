package main

import (
	"os"
	"path/filepath"
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

func TestSayOnce(t *testing.T) {
	said := map[string]bool{}
	var b strings.Builder
	run := "compose-preflight: warning: no Docker engine [engine-unreachable]\n"
	sayOnce(&b, "a.yaml:1:1: error: x [duplicate]\n"+run+"1 conflict in 1 service\n", said)
	sayOnce(&b, "b.yaml:1:1: error: x [duplicate]\n"+run+"1 conflict in 1 service\n", said)
	sayOnce(&b, "b.yaml:1:1: error: x [duplicate]\n", said)
	want := "a.yaml:1:1: error: x [duplicate]\n" + run + "1 conflict in 1 service\n" +
		"b.yaml:1:1: error: x [duplicate]\n1 conflict in 1 service\n" +
		"b.yaml:1:1: error: x [duplicate]\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
