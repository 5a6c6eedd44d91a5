package preflight

import (
	"path/filepath"

	"github.com/compose-preflight/compose-preflight/compose/discover"
)

// ProjectOptions are o for a check of p, one of the projects that
// discover.Find found in base: the project docker compose run in p's
// folder would load, loaded from base with its files named, so that the
// paths in its findings and errors are relative to base, where the
// projects were looked for. The project of base itself, found by default
// discovery, is loaded exactly as a bare docker compose there would load
// it (a COMPOSE_FILE in its .env included).
func ProjectOptions(base string, p discover.Project, o Options) Options {
	o.Load.WorkingDir = base
	if p.Dir != "." || !p.Default() {
		o.Load.Files = make([]string, len(p.Files))
		for i, f := range p.Files {
			o.Load.Files[i] = filepath.FromSlash(f)
		}
	}
	return o
}
