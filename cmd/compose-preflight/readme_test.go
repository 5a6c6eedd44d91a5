package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/check"
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

// TestEveryKindDocumented holds the README's table of finding kinds and
// the SARIF rule descriptions to the kinds check/finding.go declares.
func TestEveryKindDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../../check/finding.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var kinds int
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil || fmt.Sprint(vs.Type) != "Kind" {
			return true
		}
		for i, name := range vs.Names {
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok {
				continue
			}
			kind, _ := strconv.Unquote(lit.Value)
			kinds++
			if !strings.Contains(string(readme), "| `"+kind+"` |") {
				t.Errorf("%s (%q) is not in the README's table of kinds", name.Name, kind)
			}
			if check.Kind(kind).Description() == "" {
				t.Errorf("%s (%q) has no SARIF rule description", name.Name, kind)
			}
		}
		return true
	})
	if kinds < 12 {
		t.Fatalf("found %d kinds in check/finding.go", kinds)
	}
}
