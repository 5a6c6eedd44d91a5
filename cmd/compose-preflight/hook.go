package main

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"

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
				UsageText: "compose-preflight [check options] hook install",
				Action: func(c *cli.Context) error {
					exe, err := os.Executable()
					if err != nil {
						return fmt.Errorf("finding this program: %w", err)
					}
					if real, err := filepath.EvalSymlinks(exe); err == nil {
						exe = real
					}
					res, err := githook.Install(sio.cwd, append([]string{exe}, passedFlags(c)...))
					if err != nil {
						return err
					}
					switch {
					case !res.Changed:
						fmt.Fprintf(sio.stdout, "%s is already installed\n", res.Hook)
					case res.Chained != "":
						fmt.Fprintf(sio.stdout, "installed %s; it runs the hook that was there first (now %s)\n", res.Hook, res.Chained)
					default:
						fmt.Fprintf(sio.stdout, "installed %s\n", res.Hook)
					}
					return nil
				},
			},
			{
				Name:  "uninstall",
				Usage: "remove the hook and put back the one it chained",
				Action: func(c *cli.Context) error {
					res, err := githook.Uninstall(sio.cwd)
					if err != nil {
						return err
					}
					switch {
					case !res.Changed:
						fmt.Fprintln(sio.stdout, "no compose-preflight hook to remove")
					case res.Chained != "":
						fmt.Fprintf(sio.stdout, "removed %s and put back the hook that was there before\n", res.Hook)
					default:
						fmt.Fprintf(sio.stdout, "removed %s\n", res.Hook)
					}
					return nil
				},
			},
			{
				Name:  "run",
				Usage: "check the project as it will be committed (the staged compose and env files); the hook calls this",
				Action: func(c *cli.Context) error {
					dir, cleanup, err := githook.StageTree(c.Context, sio.cwd)
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					defer cleanup()
					staged := sio
					staged.cwd = dir
					opts, err := optionsFrom(c, staged)
					if err != nil {
						return err
					}
					if opts.fix || opts.dryRun {
						return usageError("the hook checks the staged files: --fix would edit copies; run compose-preflight --fix yourself")
					}
					n, err := preflight(c.Context, opts, staged)
					*code = n
					return err
				},
			},
		},
	}
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
