package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/check/preflight/report"
)

// runTerminal runs the command as if stdout were a terminal.
func runTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", conflictCompose)
	var out bytes.Buffer
	sio := stdio{stdout: &out, stderr: &out, environ: env, cwd: dir, terminal: true, root: t.TempDir()}
	run(context.Background(), append([]string{"compose-preflight", "--engine=off", "--static"}, args...), sio)
	return out.String()
}

// TestColour: colour on a terminal only, never with NO_COLOR, never in
// machine formats.
func TestColour(t *testing.T) {
	env := baseEnv(t)
	if out := runTerminal(t, env); !strings.Contains(out, styleError) {
		t.Errorf("no colour on a terminal:\n%s", out)
	}
	if out := runTerminal(t, append(env, "NO_COLOR=1")); strings.Contains(out, "\x1b[") {
		t.Errorf("colour despite NO_COLOR:\n%s", out)
	}
	out := runTerminal(t, env, "--format", "json")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour in JSON:\n%s", out)
	}
	var rep report.Document
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Schema != report.Schema || rep.Summary.ExitCode != exitConflict {
		t.Errorf("JSON report %+v, %v", rep, err)
	}
}

// TestCompletion: each shell gets a script, and the completion protocol
// urfave/cli answers lists the flags and commands.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, _, code := cliRun(t, t.TempDir(), baseEnv(t), "completion", shell)
		if code != exitClean || !strings.Contains(out, "compose-preflight") {
			t.Errorf("completion %s: exit %d\n%s", shell, code, out)
		}
	}
	if _, errOut, code := cliRun(t, t.TempDir(), baseEnv(t), "completion", "tcsh"); code != exitUsage || !strings.Contains(errOut, "tcsh") {
		t.Errorf("completion tcsh: exit %d, %q", code, errOut)
	}
	// urfave/cli reads os.Args for completion, so this part runs the binary.
	b, err := exec.Command(buildTool(t), "--generate-bash-completion").Output()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, want := range []string{"hook", "completion"} {
		if !strings.Contains(out, want) {
			t.Errorf("bash completion lacks %q:\n%s", want, out)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
