// Package discover finds the docker compose projects below a folder, and
// which of them a set of changed files touches, so that a repository with
// its project in deploy/, or with a project per service, is checked the
// way `docker compose` would load each project from its own folder.
//
// A folder holds a project when docker compose, run there, would load a
// file of that folder: its default file (compose.yaml, then compose.yml,
// docker-compose.yml, docker-compose.yaml) with the first override file
// found (compose.override.yml, ...). Any other file named like a compose
// file (compose.prod.yaml, docker-compose.ci.yml) is a project of its own,
// loaded alone, unless another project includes or extends it: then it is
// that project's fragment. One that only changes services defined
// elsewhere (a service with neither image, build nor extends, as in
// `docker compose -f compose.yaml -f compose.prod.yaml`) is loaded on top
// of its folder's default file, without which it is a fragment.
// Override-named files are never projects of their own: docker compose
// only ever loads them beside a default file.
package discover

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"go.yaml.in/yaml/v4"
)

// Project is one compose project found below the root.
type Project struct {
	// Dir is the project's folder, slash-separated and relative to the
	// root ("." for the root itself).
	Dir string
	// Files are the top-level compose files docker compose loads for it,
	// in order, relative to the root: the default file and its override,
	// or a single file of another name.
	Files []string
	// Reads are the other files the project's compose files name, relative
	// to the root: included and extended compose files, and env_file
	// entries, followed through includes and extends. A path outside the
	// root starts with "../". Interpolated and remote references are left
	// out: they are only known once loaded.
	Reads []string
}

// Default says whether the project is its folder's default one (what a
// bare `docker compose` there loads), not a file of another name.
func (p Project) Default() bool {
	return len(p.Files) > 0 && slices.Contains(cli.DefaultFileNames, path.Base(p.Files[0])) &&
		(len(p.Files) == 1 || slices.Contains(cli.DefaultOverrideFileNames, path.Base(p.Files[1])))
}

// own is the file that makes the project: its default file, or the
// file of another name it was found for.
func (p Project) own() string {
	if p.Default() {
		return p.Files[0]
	}
	return p.Files[len(p.Files)-1]
}

// skipDir are folders never searched: git's own, and dependency trees whose
// compose files belong to other projects.
var skipDir = map[string]bool{".git": true, "node_modules": true}

// Find returns the compose projects in root and every folder below it,
// sorted by folder then file. Symbolic links to folders are not followed.
func Find(root string) ([]Project, error) {
	byDir := map[string][]string{} // folder -> compose-named files in it
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable folder holds nothing docker compose could load
		}
		if d.IsDir() {
			if p != root && skipDir[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if IsComposeName(d.Name()) {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			dir := filepath.ToSlash(rel)
			byDir[dir] = append(byDir[dir], d.Name())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find compose projects in %s: %w", root, err)
	}
	var projects []Project
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		names := byDir[dir]
		join := func(name string) string { return path.Join(dir, name) }
		var def []string
		for _, n := range cli.DefaultFileNames {
			if present(root, join(n)) {
				def = append(def, join(n))
				break
			}
		}
		if def != nil {
			for _, n := range cli.DefaultOverrideFileNames {
				if present(root, join(n)) {
					def = append(def, join(n))
					break
				}
			}
			projects = append(projects, Project{Dir: dir, Files: def})
		}
		slices.Sort(names)
		for _, n := range names {
			if slices.Contains(def, join(n)) || slices.Contains(cli.DefaultOverrideFileNames, n) {
				continue
			}
			switch {
			case !isOverlay(root, join(n)):
				projects = append(projects, Project{Dir: dir, Files: []string{join(n)}})
			case def != nil:
				projects = append(projects, Project{Dir: dir, Files: []string{def[0], join(n)}})
			}
		}
	}
	for i := range projects {
		projects[i].Reads = Reads(root, projects[i].Files)
	}
	// A file another project includes or extends is that project's
	// fragment, not a project of its own.
	kept := projects[:0]
	for i, p := range projects {
		fragment := false
		if !p.Default() {
			for j, o := range projects {
				if i != j && slices.Contains(o.Reads, p.own()) {
					fragment = true
					break
				}
			}
		}
		if !fragment {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// present says whether a file exists at rel, as docker compose's discovery
// asks (a stat, following links).
func present(root, rel string) bool {
	st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil && !st.IsDir()
}

// IsComposeName says whether a file name is one docker compose users give
// compose files: compose*.yml, compose*.yaml, docker-compose*.yml,
// docker-compose*.yaml.
func IsComposeName(name string) bool {
	if !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".yaml") {
		return false
	}
	return strings.HasPrefix(name, "compose") || strings.HasPrefix(name, "docker-compose")
}

// IsEnvName says whether a file name is one of an env file: .env, .env.*,
// *.env.
func IsEnvName(name string) bool {
	return strings.HasPrefix(name, ".env") || strings.HasSuffix(name, ".env")
}

// Touched returns the projects that the changed files (added, modified or
// deleted; slash-separated, relative to the root) belong to, in the order
// of projects, and the changed files that belong to none.
//
// A file belongs to a project when it is one of its compose files or a
// file they name (Reads); an env file belongs to every project of its
// folder, whose .env docker compose reads; and a default or override
// compose file, even deleted, belongs to its folder's default project,
// whose set of files it changes.
func Touched(projects []Project, changed []string) (touched []Project, loose []string) {
	hit := make([]bool, len(projects))
	for _, c := range changed {
		dir, name := path.Split(c)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		defaultName := slices.Contains(cli.DefaultFileNames, name) || slices.Contains(cli.DefaultOverrideFileNames, name)
		found := false
		for i, p := range projects {
			switch {
			case slices.Contains(p.Files, c), slices.Contains(p.Reads, c),
				p.Dir == dir && IsEnvName(name),
				p.Dir == dir && defaultName && p.Default():
			default:
				continue
			}
			hit[i], found = true, true
		}
		if !found {
			loose = append(loose, c)
		}
	}
	for i, p := range projects {
		if hit[i] {
			touched = append(touched, p)
		}
	}
	return touched, loose
}

// isOverlay says whether a compose file only changes services defined
// elsewhere: one of its services has neither image, build nor extends, so
// docker compose refuses it alone.
func isOverlay(root, file string) bool {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return false
	}
	var doc struct {
		Services map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return false // broken: loaded alone, its load says why
		}
	}
	for _, s := range doc.Services {
		svc, ok := s.(map[string]any)
		if !ok {
			continue
		}
		_, image := svc["image"]
		_, build := svc["build"]
		_, extends := svc["extends"]
		if !image && !build && !extends {
			return true
		}
	}
	return false
}

// Reads follows the references of compose files (slash-separated,
// relative to root) and returns the files they name as Project.Reads
// does, relative to root, without the files themselves.
func Reads(root string, files []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) bool {
		if seen[p] {
			return false
		}
		seen[p] = true
		if !slices.Contains(files, p) {
			out = append(out, p)
		}
		return true
	}
	var follow func(file string)
	follow = func(file string) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			return // missing or unreadable: the load will say so
		}
		composeRefs, envRefs := references(b)
		dir := path.Dir(file)
		for _, r := range envRefs {
			add(path.Join(dir, r))
		}
		for _, r := range composeRefs {
			if p := path.Join(dir, r); add(p) {
				follow(p)
			}
		}
	}
	for _, f := range files {
		seen[f] = true
	}
	for _, f := range files {
		follow(f)
	}
	slices.Sort(out)
	return out
}

// references reads a compose file's include and extends references
// (compose files) and env_file entries (env files), as written: relative
// to the file's folder. A file that does not parse has none that can be
// known here; its load fails with the reason.
func references(src []byte) (compose, env []string) {
	var doc struct {
		Include  []any          `yaml:"include"`
		Services map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, nil
		}
	}
	for _, inc := range doc.Include {
		switch v := inc.(type) {
		case string:
			compose = appendLocal(compose, v)
		case map[string]any:
			compose = appendLocal(compose, stringsOf(v["path"])...)
			env = appendLocal(env, stringsOf(v["env_file"])...)
		}
	}
	for _, s := range doc.Services {
		svc, ok := s.(map[string]any)
		if !ok {
			continue
		}
		if ext, ok := svc["extends"].(map[string]any); ok {
			if f, ok := ext["file"].(string); ok {
				compose = appendLocal(compose, f)
			}
		}
		for _, e := range anyList(svc["env_file"]) {
			switch v := e.(type) {
			case string:
				env = appendLocal(env, v)
			case map[string]any:
				env = appendLocal(env, stringsOf(v["path"])...)
			}
		}
	}
	return compose, env
}

// anyList is v as a list: a single value is a list of one.
func anyList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// stringsOf are the strings of a string or a list of strings.
func stringsOf(v any) []string {
	var out []string
	for _, e := range anyList(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// appendLocal appends the references that name a local file by a fixed
// path: not interpolated, not remote, not absolute (outside any root).
func appendLocal(to []string, refs ...string) []string {
	for _, r := range refs {
		if r == "" || strings.Contains(r, "$") || strings.Contains(r, "://") || strings.HasPrefix(r, "git@") ||
			strings.HasPrefix(r, "github.com/") || path.IsAbs(filepath.ToSlash(r)) || filepath.IsAbs(r) {
			continue
		}
		to = append(to, path.Clean(filepath.ToSlash(r)))
	}
	return to
}
