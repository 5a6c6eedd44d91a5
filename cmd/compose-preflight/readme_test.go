package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEDemo keeps the README's first command true: the finding it
// shows for the bundled example is what the tool prints. (Its warnings
// depend on the machine: an engine, a container; they are not compared.)
func TestREADMEDemo(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "it prints:\n\n```\n")
	if !ok {
		t.Fatal("README.md no longer shows the demo's output after \"it prints:\"")
	}
	shown, _, _ := strings.Cut(after, "```")
	out, _, code := cliRun(t, root, baseEnv(t), "-f", "examples/demo/compose.yaml", "--engine=off")
	if code != exitConflict {
		t.Errorf("the demo exits %d, the README says 1", code)
	}
	want := strings.SplitN(shown, "\n", 5)[:4]
	got := strings.SplitN(out, "\n", 5)
	if len(got) < 4 || strings.Join(got[:4], "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md shows:\n%s\nthe tool prints:\n%s", strings.Join(want, "\n"), out)
	}
}
