package preflight

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// mirror is a scratch view of the file system for --dry-run: the files a
// plan changes hold their new contents, and every other path leads,
// through a symbolic link, to the real one. The project loads from it as
// it would load from the disk after --fix (compose-go reads files only
// through the operating system, so a view in memory is not possible), and
// nothing of the project is touched.
type mirror struct{ root string }

// newMirror builds the view: each folder on the way to a changed file is
// a real folder of the mirror, its other entries links to the originals.
func newMirror(changes []rewrite.Change) (*mirror, error) {
	root, err := os.MkdirTemp("", "compose-preflight-dry-run-")
	if err != nil {
		return nil, fmt.Errorf("preparing the dry run: %w", err)
	}
	m := &mirror{root: root}
	dirs := map[string]bool{}
	files := map[string][]byte{}
	for _, c := range changes {
		p := filepath.Clean(c.Path)
		files[p] = c.New
		for d := filepath.Dir(p); !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	fail := func(err error) (*mirror, error) {
		m.remove()
		return nil, fmt.Errorf("preparing the dry run: %w", err)
	}
	for d := range dirs {
		if err := os.MkdirAll(m.path(d), 0o700); err != nil {
			return fail(err)
		}
	}
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			// a folder this user cannot list (a parent of the project):
			// only the way to the changed files is needed through it
			continue
		}
		for _, e := range entries {
			full := filepath.Join(d, e.Name())
			if _, changed := files[full]; changed || dirs[full] {
				continue
			}
			if err := os.Symlink(full, m.path(full)); err != nil {
				return fail(err)
			}
		}
	}
	for p, b := range files {
		if err := os.WriteFile(m.path(p), b, 0o600); err != nil {
			return fail(err)
		}
	}
	return m, nil
}

// path is where the real path p is in the mirror.
func (m *mirror) path(p string) string {
	return filepath.Join(m.root, strings.TrimPrefix(p, filepath.VolumeName(p)))
}

// remove deletes the mirror; os.RemoveAll removes links, never what they
// point to.
func (m *mirror) remove() { os.RemoveAll(m.root) }

// options are the load options of the project as seen in the mirror:
// every absolute path the user gave, and the working directory, moved
// into it.
func (m *mirror) options(o compose.Options) (compose.Options, error) {
	if o.WorkingDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return o, err
		}
		o.WorkingDir = wd
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return m.path(p)
		}
		return p
	}
	o.WorkingDir = abs(o.WorkingDir)
	o.ProjectDir = abs(o.ProjectDir)
	o.Files = mapPaths(o.Files, abs)
	o.EnvFiles = mapPaths(o.EnvFiles, abs)
	pathSep := string(os.PathListSeparator)
	if v, ok := compose.LookupEnv(o.Environ, "COMPOSE_PATH_SEPARATOR"); ok && v != "" {
		pathSep = v
	}
	env := make([]string, len(o.Environ))
	for i, kv := range o.Environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "COMPOSE_FILE":
			kv = k + "=" + strings.Join(mapPaths(strings.Split(v, pathSep), abs), pathSep)
		case "COMPOSE_ENV_FILES":
			kv = k + "=" + strings.Join(mapPaths(strings.Split(v, ","), abs), ",")
		case "PWD":
			kv = k + "=" + abs(v)
		}
		env[i] = kv
	}
	o.Environ = env
	return o, nil
}

func mapPaths(ps []string, f func(string) string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

// unmirror says an error of a load in the mirror with the real paths.
func (m *mirror) unmirror(err error) error {
	if err == nil {
		return nil
	}
	return &mirroredError{msg: strings.ReplaceAll(err.Error(), m.root, ""), err: err}
}

type mirroredError struct {
	msg string
	err error
}

func (e *mirroredError) Error() string { return e.msg }
func (e *mirroredError) Unwrap() error { return e.err }
