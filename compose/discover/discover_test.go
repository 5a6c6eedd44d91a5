package discover

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree writes files (slash paths relative to a new folder) and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func describe(ps []Project) string {
	var out []string
	for _, p := range ps {
		s := p.Dir + ": " + strings.Join(p.Files, " ")
		if len(p.Reads) > 0 {
			s += " reads " + strings.Join(p.Reads, " ")
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestFind(t *testing.T) {
	root := tree(t, map[string]string{
		"compose.yaml":          "services: {}\n",
		"docker-compose.yml":    "services: {}\n", // a second default name: a project of its own
		"compose.override.yml":  "services: {}\n",
		"compose.override.yaml": "services: {}\n", // the first override found wins
		"deploy/compose.yaml": `include:
  - compose.db.yaml
  - path: [../common/net.yaml]
    env_file: ../common/net.env
services:
  web:
    extends: {file: base.yml, service: web}
    env_file: [web.env, {path: "${DIR}/x.env"}, {path: opt.env, required: false}]
`,
		"deploy/compose.db.yaml":              "services:\n  db:\n    extends:\n      file: compose.base.yaml\n      service: db\n",
		"deploy/compose.base.yaml":            "services: {db: {image: x}}\n",
		"deploy/base.yml":                     "services: {web: {image: x}}\n",
		"deploy/compose.prod.yaml":            "services: {}\n",
		"deploy/compose.ci.yaml":              "services:\n  web:\n    ports: !override [\"80:80\"]\n", // an overlay
		"lonely/compose.dev.yaml":             "services:\n  web:\n    environment: {A: 1}\n",          // an overlay of nothing
		"only-override/compose.override.yaml": "services: {}\n",
		"svc/a/docker-compose.yaml":           "services: {}\n",
		"svc/b/compose.yml":                   "services: {}\n",
		"notes/readme.yaml":                   "x: 1\n",
		"node_modules/pkg/compose.yaml":       "services: {}\n",
		".git/compose.yaml":                   "services: {}\n",
		".devcontainer/compose.yaml":          "services: {}\n",
	})
	ps, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		".: compose.yaml compose.override.yml",
		".: docker-compose.yml",
		".devcontainer: .devcontainer/compose.yaml",
		"deploy: deploy/compose.yaml reads common/net.env common/net.yaml deploy/base.yml deploy/compose.base.yaml deploy/compose.db.yaml deploy/opt.env deploy/web.env",
		"deploy: deploy/compose.yaml deploy/compose.ci.yaml reads common/net.env common/net.yaml deploy/base.yml deploy/compose.base.yaml deploy/compose.db.yaml deploy/opt.env deploy/web.env",
		"deploy: deploy/compose.prod.yaml",
		"svc/a: svc/a/docker-compose.yaml",
		"svc/b: svc/b/compose.yml",
	}, "\n")
	if got := describe(ps); got != want {
		t.Fatalf("Find:\n%s\nwant:\n%s", got, want)
	}
}

func TestTouched(t *testing.T) {
	root := tree(t, map[string]string{
		"compose.yaml":             "services: {}\n",
		"deploy/compose.yaml":      "include: [../shared/ports.yaml]\nservices: {}\n",
		"deploy/compose.prod.yaml": "services: {}\n",
		"deploy/compose.ci.yaml":   "services:\n  web:\n    ports: !override [\"80:80\"]\n",
		"shared/ports.yaml":        "services: {}\n",
		"svc/a/compose.yaml":       "services: {web: {image: x, env_file: app.conf}}\n",
	})
	ps, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs := func(ps []Project) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.own())
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		changed []string
		touched string
		loose   []string
	}{
		{[]string{"compose.yaml"}, "compose.yaml", nil},
		// the folder's compose.yaml: its project and the overlay on it
		{[]string{"deploy/compose.yaml"}, "deploy/compose.yaml deploy/compose.ci.yaml", nil},
		{[]string{"deploy/compose.ci.yaml"}, "deploy/compose.ci.yaml", nil},
		{[]string{"deploy/compose.prod.yaml"}, "deploy/compose.prod.yaml", nil},
		// an env file: every project of its folder
		{[]string{"deploy/.env"}, "deploy/compose.yaml deploy/compose.ci.yaml deploy/compose.prod.yaml", nil},
		{[]string{"deploy/prod.env"}, "deploy/compose.yaml deploy/compose.ci.yaml deploy/compose.prod.yaml", nil},
		// an override, even deleted or new: the folder's default project
		{[]string{"deploy/compose.override.yaml"}, "deploy/compose.yaml", nil},
		// a fragment: the project that includes it
		{[]string{"shared/ports.yaml"}, "deploy/compose.yaml deploy/compose.ci.yaml", nil},
		{[]string{"svc/a/app.conf"}, "svc/a/compose.yaml", nil},
		// a deleted project: nothing left to check
		{[]string{"gone/compose.yaml"}, "", []string{"gone/compose.yaml"}},
		{[]string{"notes/x.yaml", ".github/workflows/ci.yml", "shared/.env"}, "", []string{"notes/x.yaml", ".github/workflows/ci.yml", "shared/.env"}},
		{[]string{"svc/a/compose.yaml", "compose.yaml", "svc/a/.env"}, "compose.yaml svc/a/compose.yaml", nil},
	} {
		touched, loose := Touched(ps, c.changed)
		if got := dirs(touched); got != c.touched || !reflect.DeepEqual(loose, c.loose) {
			t.Errorf("Touched(%q) = %q, loose %q; want %q, loose %q", c.changed, got, loose, c.touched, c.loose)
		}
	}
}

func TestFindMissingRoot(t *testing.T) {
	if _, err := Find(filepath.Join(t.TempDir(), "nothing")); err == nil {
		t.Fatal("Find of a missing folder succeeded")
	}
}
