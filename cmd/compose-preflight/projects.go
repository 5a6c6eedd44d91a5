package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/check/preflight/report"
	"github.com/compose-preflight/compose-preflight/compose/discover"
)

// recursiveFlag makes a run check every compose project below the current
// folder instead of the one docker compose would find from it.
var recursiveFlag = &cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "check every compose project in this folder and below it (each folder's compose.yaml with its override, and each compose file of another name), in one report"}

// checkRecursive is a --recursive run: every project below the current
// folder, found as docker compose finds each from its own folder.
func checkRecursive(c *cli.Context, sio stdio, code *int) error {
	if c.IsSet("file") || c.IsSet("project-directory") {
		return usageError("--recursive finds the projects itself: drop -f and --project-directory, or drop --recursive")
	}
	opts, err := optionsFrom(c, sio)
	if err != nil {
		return err
	}
	if opts.fix || opts.dryRun {
		return usageError("--fix and --dry-run edit one project at a time: run them in the project's folder, without --recursive")
	}
	projects, err := discover.Find(sio.cwd)
	if err != nil {
		return loadError(err)
	}
	if len(projects) == 0 {
		return usageError("no compose project found in %s or below (looked for compose*.yaml and docker-compose*.yaml files)", sio.cwd)
	}
	*code, err = checkProjects(c, opts, sio, sio.cwd, projects)
	return err
}

// checkProjects checks each project, loaded from its own files as
// docker compose run in its folder would, and writes one report for all.
// Paths in the report and in error messages are relative to base, the
// folder the projects were found in. A project that fails to load is
// reported on stderr and the others are still checked; the exit code is
// the worst of them (2 for a load error, 1 for a conflict).
func checkProjects(c *cli.Context, o options, sio stdio, base string, projects []discover.Project) (int, error) {
	psio := sio
	psio.cwd = base
	one := func(i int) options {
		po := o
		po.check = preflight.ProjectOptions(base, projects[i], o.check)
		if i > 0 {
			po.staticReason = "" // said once
		}
		return po
	}
	if len(projects) == 1 {
		n, err := runCheck(c.Context, one(0), psio)
		return n, relativeError(err, base)
	}

	worst := exitClean
	var results []*preflight.Result // the machine formats write one document for all
	defer func() {
		for _, r := range results {
			r.Close()
		}
	}()
	said := map[string]bool{}
	for i, p := range projects {
		if o.format == "text" && !o.quiet {
			if i > 0 {
				fmt.Fprintln(sio.stdout)
			}
			fmt.Fprintf(sio.stdout, "%s:\n", strings.Join(p.Files, " + "))
		}
		po := one(i)
		res, err := checkOne(c.Context, po, psio)
		var n int
		if err == nil {
			results = append(results, res)
			n = report.ExitCode(res, o.strict)
			if o.format == "text" {
				err = (&printer{Result: res, opts: po, said: said}).writeText(sio.stdout)
			}
		}
		if err != nil {
			n = exitCodeOf(err)
			fmt.Fprintln(sio.stderr, "compose-preflight:", relativeText(err.Error(), base))
		}
		worst = max(worst, n)
	}
	var err error
	switch o.format {
	case "json":
		docs := make([]*report.Document, len(results))
		for i, r := range results {
			docs[i] = report.New(r, o.strict)
		}
		err = report.Merge(base, docs).Encode(sio.stdout)
	case "sarif":
		err = report.WriteSARIF(sio.stdout, version(), results)
	case "github":
		err = report.WriteGitHub(sio.stdout, results)
	default:
		if !o.quiet {
			fmt.Fprintf(sio.stdout, "\n%s checked: %s\n", plural(len(projects), "compose project", "compose projects"), verdict(worst))
		}
	}
	if err != nil {
		return exitUsage, loadError(err)
	}
	if worst == exitUsage {
		// each load error is printed above
		return worst, &exitError{code: exitUsage}
	}
	return worst, nil
}

func verdict(code int) string {
	switch code {
	case exitClean:
		return "no conflicts"
	case exitConflict:
		return "conflicts found"
	}
	return "some could not be loaded"
}

// relativeError shortens the paths under base in an error's message, so
// that a project in a subfolder (or in the hook's copy of the staged
// files) is named by its path from base, never by a temporary folder.
// The error keeps its exit code (2 for one that has none).
func relativeError(err error, base string) error {
	if ee := (*exitError)(nil); err == nil || errors.As(err, &ee) && ee.err == nil {
		return err // nothing to say
	}
	return &exitError{code: exitCodeOf(err), err: errors.New(relativeText(err.Error(), base))}
}

func relativeText(s, base string) string {
	return strings.ReplaceAll(s, strings.TrimSuffix(base, string(filepath.Separator))+string(filepath.Separator), "")
}
