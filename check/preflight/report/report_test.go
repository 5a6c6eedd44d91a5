package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
)

// TestMerge: the projects' files, services and ports are summed up, each
// project is listed as it was, a finding about the run is listed once
// (but counted for each project, as each project's summary counts it),
// and the worst exit code wins.
func TestMerge(t *testing.T) {
	run := Finding{Kind: "engine-unreachable", Severity: "warning", Message: "no Docker engine answers"}
	a := &Document{Schema: Schema, Checked: "this host",
		Project:  Project{Name: "a", WorkingDir: "/r/a", ComposeFiles: []string{"/r/a/compose.yaml"}, EnvFiles: []string{}, Services: 2, PublishedPorts: 3},
		Summary:  Summary{Errors: 1, Warnings: 1, ExitCode: 1},
		Findings: []Finding{{Kind: "in-use", Severity: "error", Service: "web", Binding: &Binding{Service: "web"}}, run},
	}
	b := &Document{Schema: Schema, Checked: "this host",
		Project:  Project{Name: "b", WorkingDir: "/r/b", ComposeFiles: []string{"/r/b/compose.yaml"}, EnvFiles: []string{"/r/b/.env"}, Services: 1, PublishedPorts: 1},
		Summary:  Summary{Warnings: 1},
		Findings: []Finding{run},
	}
	all := Merge("/r", []*Document{a, b})
	want := Project{WorkingDir: "/r", ComposeFiles: []string{"/r/a/compose.yaml", "/r/b/compose.yaml"}, EnvFiles: []string{"/r/b/.env"}, Services: 3, PublishedPorts: 4}
	got := all.Project
	if got.Name != "" || got.WorkingDir != want.WorkingDir || !slices.Equal(got.ComposeFiles, want.ComposeFiles) || !slices.Equal(got.EnvFiles, want.EnvFiles) || got.Services != 3 || got.PublishedPorts != 4 {
		t.Errorf("project %+v, want %+v", got, want)
	}
	if len(all.Projects) != 2 || all.Projects[0].Name != "a" || all.Projects[1].Name != "b" {
		t.Errorf("projects %+v", all.Projects)
	}
	if all.Summary != (Summary{Errors: 1, Warnings: 2, ExitCode: 1}) || all.Checked != "this host" {
		t.Errorf("summary %+v, checked %q", all.Summary, all.Checked)
	}
	if len(all.Findings) != 2 || all.Findings[0].Kind != "in-use" || all.Findings[1].Kind != "engine-unreachable" {
		t.Errorf("findings %+v, want in-use and one engine-unreachable", all.Findings)
	}

	// No project at all (none loaded): still a whole document.
	var buf bytes.Buffer
	if err := Merge("/r", nil).Encode(&buf); err != nil {
		t.Fatal(err)
	}
	var empty map[string]any
	if err := json.Unmarshal(buf.Bytes(), &empty); err != nil || empty["findings"] == nil || empty["schema"] != float64(Schema) {
		t.Errorf("empty merge: %v\n%s", err, buf.String())
	}
}

// TestWriteSARIF: one run for several checks, every result, and each
// rule once: the first check's rules sorted, then the new ones of the
// next, sorted.
func TestWriteSARIF(t *testing.T) {
	dir := t.TempDir()
	check := func(name, content string) *preflight.Result {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := preflight.Check(context.Background(), preflight.Options{
			Load:   compose.Options{WorkingDir: dir, Files: []string{name}},
			Static: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(res.Close)
		return res
	}
	// a's rule sorts after b's: the merged rules are not sorted as one
	a := check("a.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n")
	b := check("b.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"80:80\", \"40000:80\", \"8080:80\", \"8080:81\"]\n")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, "v0", []*preflight.Result{a, b}); err != nil {
		t.Fatal(err)
	}
	var l sarifLog
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Runs) != 1 {
		t.Fatalf("%d runs, want 1:\n%s", len(l.Runs), buf.String())
	}
	var rules []string
	for _, r := range l.Runs[0].Tool.Driver.Rules {
		rules = append(rules, r.ID)
	}
	want := []string{"privileged", "duplicate", "ephemeral-range"}
	if !slices.Equal(rules, want) {
		t.Errorf("rules %q, want %q", rules, want)
	}
	if n := len(l.Runs[0].Results); n != len(a.Findings)+len(b.Findings) {
		t.Errorf("%d results, want %d", n, len(a.Findings)+len(b.Findings))
	}
	uris := map[string]bool{}
	for _, r := range l.Runs[0].Results {
		for _, loc := range r.Locations {
			uris[loc.PhysicalLocation.ArtifactLocation.URI] = true
		}
	}
	if !uris["a.yaml"] || !uris["b.yaml"] || len(uris) != 2 {
		t.Errorf("locations %v, want a.yaml and b.yaml relative to the working directory", uris)
	}
}

// TestWriteGitHub: an annotation that names no file is written once
// for all the checks of a run; one on a file's line is written for each
// check that finds it.
func TestWriteGitHub(t *testing.T) {
	dir := t.TempDir()
	const project = "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\", \"8080:81\"]\n" +
		"  agent:\n    image: agent\n    network_mode: host\n    ports: [\"9100:9100\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}
	// no engine at that socket: a warning about the run, in each check
	load := compose.Options{WorkingDir: dir, Environ: []string{"DOCKER_HOST=unix://" + filepath.Join(dir, "no-engine.sock")}}
	var results []*preflight.Result
	for range 2 {
		res, err := preflight.Check(context.Background(), preflight.Options{Load: load, Engine: "auto"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(res.Close)
		results = append(results, res)
	}
	var one, two bytes.Buffer
	if err := WriteGitHub(&one, results[:1]); err != nil {
		t.Fatal(err)
	}
	if err := WriteGitHub(&two, results); err != nil {
		t.Fatal(err)
	}
	// A project's findings are written for each check, even one that
	// names no line (a service on the host network); one about the run
	// (no engine answered) once.
	perProject, unlocated, aboutRun := 0, 0, 0
	for _, l := range strings.SplitAfter(one.String(), "\n") {
		switch n := strings.Count(two.String(), l); {
		case l == "":
		case strings.Contains(l, "compose-preflight engine-unreachable"), strings.Contains(l, "compose-preflight in-container"):
			aboutRun++
			if n != 1 {
				t.Errorf("%q written %d times for two checks, want once", l, n)
			}
		default:
			perProject++
			if !strings.Contains(l, "file=") {
				unlocated++
			}
			if n != 2 {
				t.Errorf("%q written %d times for two checks, want 2", l, n)
			}
		}
	}
	if perProject == 0 || unlocated == 0 || aboutRun == 0 {
		t.Errorf("want annotations of the project, with a file and without, and one about the run:\n%s", one.String())
	}
}
