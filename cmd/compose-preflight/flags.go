package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
)

// options is what one run was asked to do.
type options struct {
	// check is what the library is asked to check; the rest says how its
	// result is rendered or fixed.
	check    preflight.Options
	format   string
	quiet    bool
	strict   bool
	color    bool
	fix      bool
	dryRun   bool
	override string
	// allowOutside lets --fix write files outside the project directory.
	allowOutside bool
	// staticReason says why the host is not checked, for the one line
	// that tells the user so ("" when --static was asked for).
	staticReason string
}

var formats = []string{"text", "json", "github", "sarif"}

// checkFlags mirror docker compose's own where they overlap, so a command
// line can be copied between the two.
func checkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "compose `FILE` (repeatable; default: compose.yaml and its override, or COMPOSE_FILE)"},
		&cli.StringFlag{Name: "project-name", Aliases: []string{"p"}, Usage: "project `NAME` (default: COMPOSE_PROJECT_NAME, name:, or the directory)"},
		&cli.StringFlag{Name: "project-directory", Usage: "project `DIR` (default: the first compose file's directory)"},
		&cli.StringSliceFlag{Name: "env-file", Usage: "environment `FILE` for interpolation (repeatable; default: .env)"},
		&cli.StringSliceFlag{Name: "profile", Usage: "enable `PROFILE` (repeatable; default: COMPOSE_PROFILES)"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text, json, github (workflow annotations) or sarif"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only problems"},
		&cli.BoolFlag{Name: "static", Usage: "check only what the files say: no host sockets (for CI)"},
		&cli.BoolFlag{Name: "host", Usage: "check this machine's sockets even when CI=true"},
		&cli.BoolFlag{Name: "strict", Usage: "fail on warnings too"},
		&cli.BoolFlag{Name: "fix", Usage: "move each conflicting port to the nearest free one, in the file or .env variable that defines it"},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the diff --fix would write, and write nothing"},
		&cli.BoolFlag{Name: "allow-outside", Usage: "with --fix: also write compose and env files outside the project directory (links, includes from parent folders)"},
		&cli.StringFlag{Name: "override", Usage: "with --fix: leave the project's files alone and write the moved ports into override `FILE` (ports: !override)"},
		&cli.StringFlag{Name: "engine", Value: "auto", Usage: "ask the Docker engine which containers hold ports: `MODE` auto (warn when none answers), off, or required (exit 2 when none answers)"},
		&cli.StringFlag{Name: "stack", Usage: "check the project as `docker stack deploy -c FILE NAME` deploys it on the engine's swarm: other services' ports conflict, the stack's own do not"},
		&cli.DurationFlag{Name: "engine-timeout", Value: engine.DefaultTimeout, Usage: "how long to wait for the Docker engine"},
	}
}

func optionsFrom(c *cli.Context, sio stdio) (options, error) {
	o := options{
		check: preflight.Options{
			Load: compose.Options{
				Files:       c.StringSlice("file"),
				ProjectName: c.String("project-name"),
				ProjectDir:  c.String("project-directory"),
				EnvFiles:    c.StringSlice("env-file"),
				Profiles:    c.StringSlice("profile"),
				WorkingDir:  sio.cwd,
				Environ:     sio.environ,
			},
			Static:        c.Bool("static"),
			Engine:        c.String("engine"),
			EngineTimeout: c.Duration("engine-timeout"),
			Root:          sio.root,
			Stack:         c.String("stack"),
		},
		format: c.String("format"),
		quiet:  c.Bool("quiet"),
		strict: c.Bool("strict"),
	}
	o.fix, o.dryRun, o.override = c.Bool("fix"), c.Bool("dry-run"), c.String("override")
	o.allowOutside = c.Bool("allow-outside")
	o.check.ForFix, o.check.Lock = o.fix || o.dryRun, o.fix && !o.dryRun
	if o.check.Stack != "" && o.check.Engine == "off" {
		return o, usageError("--stack checks against the engine's swarm: drop --engine=off")
	}
	if o.override != "" && !o.fix && !o.dryRun {
		return o, usageError("--override goes with --fix (or --dry-run)")
	}
	if (o.fix || o.dryRun) && o.format != "text" {
		return o, usageError("--fix and --dry-run print text: drop --format %s", o.format)
	}
	if !slices.Contains([]string{"auto", "off", "required"}, o.check.Engine) {
		return o, usageError("--engine %q: want auto, off or required", o.check.Engine)
	}
	if o.check.EngineTimeout <= 0 {
		return o, usageError("--engine-timeout %s: want a positive duration such as 500ms", o.check.EngineTimeout)
	}
	if !slices.Contains(formats, o.format) {
		return o, usageError("--format %q: want one of %s", o.format, strings.Join(formats, ", "))
	}
	if o.check.Static && c.Bool("host") {
		return o, usageError("--static and --host contradict each other")
	}
	if !o.check.Static && !c.Bool("host") && isCI(sio.environ) {
		o.check.Static = true
		o.staticReason = "CI=true: checking the files only, since this host is not where the project runs (--host checks it anyway)"
	}
	_, noColor := compose.LookupEnv(sio.environ, "NO_COLOR")
	o.color = sio.terminal && !noColor && o.format == "text"
	return o, nil
}

// isCI reports whether the run is a CI job's (CI=true, as GitHub Actions,
// GitLab CI and most others set it).
func isCI(environ []string) bool {
	v, _ := compose.LookupEnv(environ, "CI")
	return v == "true"
}
