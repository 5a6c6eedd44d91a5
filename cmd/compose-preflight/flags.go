package main

import (
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/compose"
)

// options is what one run was asked to do.
type options struct {
	load     compose.Options
	format   string
	quiet    bool
	static   bool
	strict   bool
	color    bool
	fix      bool
	dryRun   bool
	override string
	// allowOutside lets --fix write files outside the project directory.
	allowOutside bool
	// engine is auto, off or required; engineTimeout bounds the engine call.
	engine        string
	engineTimeout time.Duration
	// staticReason says why the host is not checked, for the one line
	// that tells the user so ("" when --static was asked for).
	staticReason string
	// stack checks the project as `docker stack deploy -c FILE NAME`
	// deploys it on the engine's swarm.
	stack string
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
		load: compose.Options{
			Files:       c.StringSlice("file"),
			ProjectName: c.String("project-name"),
			ProjectDir:  c.String("project-directory"),
			EnvFiles:    c.StringSlice("env-file"),
			Profiles:    c.StringSlice("profile"),
			WorkingDir:  sio.cwd,
			Environ:     sio.environ,
		},
		format: c.String("format"),
		quiet:  c.Bool("quiet"),
		static: c.Bool("static"),
		strict: c.Bool("strict"),
	}
	o.engine, o.engineTimeout = c.String("engine"), c.Duration("engine-timeout")
	o.fix, o.dryRun, o.override = c.Bool("fix"), c.Bool("dry-run"), c.String("override")
	o.allowOutside = c.Bool("allow-outside")
	o.stack = c.String("stack")
	if o.stack != "" && o.engine == "off" {
		return o, usageError("--stack checks against the engine's swarm: drop --engine=off")
	}
	if o.override != "" && !o.fix && !o.dryRun {
		return o, usageError("--override goes with --fix (or --dry-run)")
	}
	if (o.fix || o.dryRun) && o.format != "text" {
		return o, usageError("--fix and --dry-run print text: drop --format %s", o.format)
	}
	if !slices.Contains([]string{"auto", "off", "required"}, o.engine) {
		return o, usageError("--engine %q: want auto, off or required", o.engine)
	}
	if o.engineTimeout <= 0 {
		return o, usageError("--engine-timeout %s: want a positive duration such as 500ms", o.engineTimeout)
	}
	if !slices.Contains(formats, o.format) {
		return o, usageError("--format %q: want one of %s", o.format, strings.Join(formats, ", "))
	}
	if o.static && c.Bool("host") {
		return o, usageError("--static and --host contradict each other")
	}
	if !o.static && !c.Bool("host") && isCI(sio.environ) {
		o.static = true
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
