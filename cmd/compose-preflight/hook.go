package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/internal/githook"
)

// hookCommand manages the git pre-commit hook and is what the hook runs.
func hookCommand(sio stdio, code *int) *cli.Command {
	return &cli.Command{
		Name:  "hook",
		Usage: "install or remove the git pre-commit hook that runs the check",
		Subcommands: []*cli.Command{
			{
				Name:      "install",
				Usage:     "write .git/hooks/pre-commit (respecting core.hooksPath and worktrees), chaining a hook that is already there",
				UsageText: "compose-preflight [check options] hook install [-- check options]",
				Description: "With no -f, the hook checks each compose project the commit touches, found as docker compose finds it\n" +
					"from its own folder. Check options after -- are recorded for the hook to pass on:\n" +
					"  compose-preflight hook install -- -f deploy/compose.yaml --profile dev",
				Action: func(c *cli.Context) error {
					if c.Bool("recursive") {
						return usageError("the hook finds the projects a commit touches by itself: drop --recursive")
					}
					flags := passedFlags(c)
					if c.NArg() > 0 {
						err := withCheckArgs(c, sio, "hook install --", c.Args().Slice(), func(cc *cli.Context) error {
							if cc.NArg() > 0 {
								return usageError("hook install -- %s: unexpected argument %q: only check options are recorded", strings.Join(c.Args().Slice(), " "), cc.Args().First())
							}
							if cc.Bool("fix") || cc.Bool("dry-run") {
								return usageError("the hook checks the staged files: --fix would edit copies; run compose-preflight --fix yourself")
							}
							flags = append(flags, passedFlags(cc)...)
							return nil
						})
						if err != nil {
							return err
						}
					}
					exe, err := githook.Program()
					if err != nil {
						return err
					}
					res, err := githook.Install(sio.cwd, append([]string{exe}, flags...))
					if err == nil {
						fmt.Fprintln(sio.stdout, res)
					}
					return err
				},
			},
			{
				Name:  "uninstall",
				Usage: "remove the hook and put back the one it chained",
				Action: func(c *cli.Context) error {
					res, err := githook.Uninstall(sio.cwd)
					if err == nil {
						fmt.Fprintln(sio.stdout, res)
					}
					return err
				},
			},
			{
				Name:      "run",
				Usage:     "check the projects the commit touches, as they will be committed (the staged files); the hook calls this",
				UsageText: "compose-preflight hook run [check options] [FILE...]",
				Description: "The projects checked are those of the staged changes and of the FILEs named (the pre-commit\n" +
					"framework passes the files it matched), each loaded as docker compose would from its folder;\n" +
					"with -f or --project-directory, that one project is checked.",
				SkipFlagParsing: true, // check options may follow run: the pre-commit framework's args
				Action: func(c *cli.Context) error {
					if c.Bool("recursive") {
						return usageError("the hook finds the projects a commit touches by itself: drop --recursive")
					}
					return withCheckArgs(c, sio, "hook run", append(passedFlags(c), c.Args().Slice()...), func(cc *cli.Context) error {
						n, err := hookRun(cc, sio)
						*code = n
						return err
					})
				},
			},
		},
	}
}

// withCheckArgs parses check options given after a subcommand (hook run
// --profile dev, hook install -- -f x.yaml) the way the main command parses
// its own, and calls fn with them.
func withCheckArgs(c *cli.Context, sio stdio, name string, args []string, fn func(*cli.Context) error) error {
	app := &cli.App{
		Name:                      c.App.Name + " " + name,
		HelpName:                  c.App.Name + " " + name,
		Usage:                     c.Command.Usage,
		UsageText:                 c.Command.UsageText,
		Writer:                    sio.stdout,
		ErrWriter:                 sio.stderr,
		ExitErrHandler:            func(*cli.Context, error) {},
		DisableSliceFlagSeparator: true,
		HideVersion:               true,
		HideHelpCommand:           true,
		Flags:                     checkFlags(),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%s: %v (see --help)", name, err)
		},
		Action: fn,
	}
	return app.RunContext(c.Context, append([]string{app.Name}, args...))
}

// hookRun checks the staged content: the one project the options name
// (-f, --project-directory), or every project the commit touches.
func hookRun(c *cli.Context, sio stdio) (int, error) {
	st, cleanup, err := githook.StageTree(c.Context, sio.cwd)
	if err != nil {
		return exitUsage, loadError(err)
	}
	defer cleanup()
	staged := sio
	staged.cwd = st.Dir
	// The report is written once complete, with the copy's paths made
	// the repository's: JSON and SARIF name files by absolute path.
	var report bytes.Buffer
	staged.stdout = &report
	defer func() { io.WriteString(sio.stdout, st.RepoPaths(report.String())) }()
	opts, err := optionsFrom(c, staged)
	if err != nil {
		return exitUsage, err
	}
	if opts.fix || opts.dryRun {
		return exitUsage, usageError("the hook checks the staged files: --fix would edit copies; run compose-preflight --fix yourself")
	}
	if c.IsSet("file") || c.IsSet("project-directory") {
		// the files the named ones read, such as an env_file app.conf
		if err := st.AddReads(c.Context, opts.check.Load.Files); err != nil {
			return exitUsage, loadError(err)
		}
		n, err := runCheck(c.Context, opts, staged)
		return n, relativeError(err, st.Root)
	}
	touched, notes, err := st.Projects(c.Context, c.Args().Slice())
	for _, n := range notes {
		fmt.Fprintf(sio.stderr, "compose-preflight: %s\n", n)
	}
	if err != nil {
		return exitUsage, relativeError(err, st.Root)
	}
	if len(touched) == 0 {
		return exitClean, nil
	}
	return checkProjects(c, opts, staged, st.Root, touched)
}

// passedFlags repeats the check flags given before `hook install`, so the
// hook checks the way it was installed (--static, --profile, ...).
func passedFlags(c *cli.Context) []string {
	var out []string
	for _, f := range checkFlags() {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		switch f.(type) {
		case *cli.BoolFlag:
			if c.Bool(name) {
				out = append(out, "--"+name)
			}
		case *cli.StringSliceFlag:
			for _, v := range c.StringSlice(name) {
				out = append(out, "--"+name+"="+v)
			}
		default:
			out = append(out, "--"+name+"="+fmt.Sprint(c.Value(name)))
		}
	}
	return out
}

//go:embed completion
var completions embed.FS

// completionCommand prints a shell completion script.
func completionCommand(sio stdio) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the completion script for bash, zsh or fish",
		UsageText: "source <(compose-preflight completion bash)",
		Action: func(c *cli.Context) error {
			switch shell := c.Args().First(); shell {
			case "bash", "zsh":
				b, err := completions.ReadFile("completion/" + shell)
				if err != nil {
					return err
				}
				_, err = sio.stdout.Write(b)
				return err
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(sio.stdout, s)
				return err
			default:
				return usageError("completion %q: want bash, zsh or fish", shell)
			}
		},
	}
}
