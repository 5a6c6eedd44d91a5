package preflight

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/discover"
)

// TestProjectOptions: each project discover.Find finds is checked as
// docker compose run in its folder would load it, from the folder the
// projects were looked for in: the default project there with its .env's
// COMPOSE_FILE, another one by its files, its findings named from base.
func TestProjectOptions(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"compose.yaml":     "services:\n  web:\n    image: nginx\n",
		"ports.yaml":       "services:\n  web:\n    ports: [\"8080:80\"]\n",
		".env":             "COMPOSE_FILE=compose.yaml:ports.yaml\n",
		"sub/compose.yaml": "services:\n  api:\n    image: nginx\n    ports: [\"9090:90\", \"9090:91\"]\n",
	} {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	projects, err := discover.Find(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(projects) != 2 {
		t.Fatalf("found %d projects, want 2: %+v", len(projects), projects)
	}
	o := Options{Load: compose.Options{WorkingDir: "/elsewhere", Environ: []string{}}, Static: true}
	var got []string
	for _, p := range projects {
		po := ProjectOptions(base, p, o)
		if po.Load.WorkingDir != base || !po.Static {
			t.Errorf("%s: WorkingDir %q, Static %v: want %q and the options given", p.Dir, po.Load.WorkingDir, po.Static, base)
		}
		res, err := Check(context.Background(), po)
		if err != nil {
			t.Fatalf("%s: %v", p.Dir, err)
		}
		var files []string
		for _, f := range res.Project.ComposeFiles {
			files = append(files, res.Rel(f))
		}
		line := strings.Join(files, "+")
		for _, f := range res.Findings {
			line += " " + res.Location(f)
		}
		got = append(got, line)
		res.Close()
	}
	sub := filepath.Join("sub", "compose.yaml")
	want := "compose.yaml+ports.yaml | " + sub + " " + sub + ":4:25"
	if g := strings.Join(got, " | "); g != want {
		t.Errorf("checked:\n%s\nwant the default project with its COMPOSE_FILE, then sub by its file, named from base:\n%s", g, want)
	}
}
