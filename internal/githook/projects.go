package githook

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/compose-preflight/compose-preflight/compose/discover"
)

// Projects chooses what a commit's check loads: the compose projects of
// the staged tree that the commit touches (its changed files, and files,
// relative to Dir, such as those the pre-commit framework passes), each
// found as docker compose finds it from its own folder, with the files
// they read added to the tree. Their paths are relative to Root, where
// they are to be loaded from.
//
// A changed compose or env file that no project reads is not checked, and
// notes say so, one line each, so that a commit is never passed silently
// with a file nobody looked at; other YAML (CI workflows, manifests) is
// passed over. Notes are returned alongside an error of adding the files.
func (s Staged) Projects(ctx context.Context, files []string) (touched []discover.Project, notes []string, err error) {
	// The files are relative to Dir; the projects' paths to the top of
	// the work tree.
	prefix, err := filepath.Rel(s.Root, s.Dir)
	if err != nil {
		return nil, nil, err
	}
	changed := slices.Clone(s.Changed)
	for _, f := range files {
		p := path.Clean(path.Join(filepath.ToSlash(prefix), filepath.ToSlash(f)))
		if !slices.Contains(changed, p) {
			changed = append(changed, p)
		}
	}
	projects, err := discover.Find(s.Root)
	if err != nil {
		return nil, nil, err
	}
	touched, loose := discover.Touched(projects, changed)
	for _, f := range loose {
		name := path.Base(f)
		if !discover.IsComposeName(name) && !discover.IsEnvName(name) {
			continue // YAML of another kind (CI workflows, manifests)
		}
		if _, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(f))); err != nil {
			notes = append(notes, fmt.Sprintf("%s: removed, and no project is left that reads it: nothing to check", f))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s: part of no compose project (no compose file in its folder loads it): not checked", f))
	}
	var reads []string
	for _, p := range touched {
		reads = append(reads, p.Reads...)
	}
	if err := s.Add(ctx, reads); err != nil {
		return nil, notes, err
	}
	return touched, notes, nil
}

// AddReads adds to the tree the files that compose files read (an
// env_file app.conf, an include), for a check of the project that those
// compose files, named as the check names them (relative to Dir, or
// absolute within Root), make up.
func (s Staged) AddReads(ctx context.Context, composeFiles []string) error {
	var files []string
	for _, f := range composeFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(s.Dir, f)
		}
		if rel, err := filepath.Rel(s.Root, f); err == nil {
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return s.Add(ctx, discover.Reads(s.Root, files))
}
