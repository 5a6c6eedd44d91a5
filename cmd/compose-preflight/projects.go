package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check/preflight"
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
	one := func(p discover.Project, out io.Writer, first bool) (int, error) {
		po := o
		po.check = preflight.ProjectOptions(base, p, o.check)
		if !first {
			po.staticReason = "" // said once
		}
		psio := sio
		psio.cwd, psio.stdout = base, out
		return runCheck(c.Context, po, psio)
	}
	if len(projects) == 1 {
		n, err := one(projects[0], sio.stdout, true)
		return n, relativeError(err, base)
	}

	worst := exitClean
	var captured [][]byte // json and sarif: one document per project, merged below
	said := map[string]bool{}
	for i, p := range projects {
		var buf bytes.Buffer
		switch o.format {
		case "text":
			if !o.quiet {
				if i > 0 {
					fmt.Fprintln(sio.stdout)
				}
				fmt.Fprintf(sio.stdout, "%s:\n", strings.Join(p.Files, " + "))
			}
		}
		n, err := one(p, &buf, i == 0)
		if err = relativeError(err, base); err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				n = ee.code
				err = ee.err
			}
			if err != nil {
				fmt.Fprintln(sio.stderr, "compose-preflight:", err)
			}
		}
		worst = max(worst, n)
		switch o.format {
		case "json", "sarif":
			if buf.Len() > 0 {
				captured = append(captured, buf.Bytes())
			}
		default:
			sayOnce(sio.stdout, buf.String(), said)
		}
	}
	var err error
	switch o.format {
	case "json":
		err = mergeJSON(sio.stdout, captured, base)
	case "sarif":
		err = mergeSARIF(sio.stdout, captured)
	case "text":
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

// sayOnce writes a project's text or annotations, leaving out the
// findings about the run rather than a file (no engine, in a container),
// which every project reports alike, after the first time.
func sayOnce(w io.Writer, report string, said map[string]bool) {
	for _, line := range strings.SplitAfter(report, "\n") {
		runLevel := strings.HasPrefix(line, "compose-preflight: ") ||
			(strings.HasPrefix(line, "::") && !strings.Contains(line[:strings.Index(line[2:], "::")+2], "file="))
		if runLevel && said[line] {
			continue
		}
		said[line] = runLevel
		io.WriteString(w, line)
	}
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
func relativeError(err error, base string) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return err
		}
		return &exitError{code: ee.code, err: errors.New(relativeText(ee.err.Error(), base))}
	}
	return errors.New(relativeText(err.Error(), base))
}

func relativeText(s, base string) string {
	return strings.ReplaceAll(s, strings.TrimSuffix(base, string(filepath.Separator))+string(filepath.Separator), "")
}

// mergeJSON writes the reports of several projects as one schema 1
// report: project describes them together (their files, services and
// ports), projects lists each one as project would alone, and findings
// and the summary cover all of them.
func mergeJSON(w io.Writer, docs [][]byte, base string) error {
	all := jsonReport{Schema: schemaVersion, Findings: []jsonFinding{}, Projects: []jsonProject{}}
	all.Project = jsonProject{WorkingDir: base, ComposeFiles: []string{}, EnvFiles: []string{}}
	for _, d := range docs {
		var r jsonReport
		if err := json.Unmarshal(d, &r); err != nil {
			return fmt.Errorf("merging the projects' reports: %w", err)
		}
		all.Projects = append(all.Projects, r.Project)
		all.Project.ComposeFiles = append(all.Project.ComposeFiles, r.Project.ComposeFiles...)
		all.Project.EnvFiles = append(all.Project.EnvFiles, r.Project.EnvFiles...)
		all.Project.Services += r.Project.Services
		all.Project.Ports += r.Project.Ports
		all.Checked = r.Checked
		all.Summary.Static = r.Summary.Static
		all.Summary.Errors += r.Summary.Errors
		all.Summary.Warnings += r.Summary.Warnings
		all.Summary.ExitCode = max(all.Summary.ExitCode, r.Summary.ExitCode)
		for _, f := range r.Findings {
			if f.Binding == nil && f.Service == "" && slices.ContainsFunc(all.Findings, func(g jsonFinding) bool {
				return g.Binding == nil && g.Kind == f.Kind && g.Message == f.Message
			}) {
				continue // about the run (no engine, in a container): said once
			}
			all.Findings = append(all.Findings, f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(all)
}

// mergeSARIF writes the SARIF logs of several projects as one log with one
// run: their results, and each rule once.
func mergeSARIF(w io.Writer, docs [][]byte) error {
	var all sarifLog
	for _, d := range docs {
		var l sarifLog
		if err := json.Unmarshal(d, &l); err != nil {
			return fmt.Errorf("merging the projects' reports: %w", err)
		}
		if len(all.Runs) == 0 {
			all = l
			continue
		}
		run := &all.Runs[0]
		for _, r := range l.Runs {
			run.Results = append(run.Results, r.Results...)
			for _, rule := range r.Tool.Driver.Rules {
				if !slices.ContainsFunc(run.Tool.Driver.Rules, func(x sarifRule) bool { return x.ID == rule.ID }) {
					run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
				}
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(all)
}
