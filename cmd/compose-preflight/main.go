// Command compose-preflight checks a docker compose project before it
// starts: every published host port against the sockets bound on this
// host, so that `docker compose up` does not fail halfway at bind time,
// and a host app and a container never silently share a port.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// Exit codes, as documented in the README.
const (
	exitClean    = 0
	exitConflict = 1
	exitUsage    = 2
)

// stdio is the process's outside world, passed in so tests run the whole
// command in-process with their own environment and buffers.
type stdio struct {
	stdout, stderr io.Writer
	environ        []string
	cwd            string
	// terminal says whether stdout is a terminal (colour is used only then).
	terminal bool
	// root is the file system root where container markers are looked
	// for ("/"); tests that run in their own network namespace point it
	// elsewhere, as that namespace would look like a container.
	root string
}

// logFormat prints compose-go's log lines (warnings such as "The \"X\"
// variable is not set") the way this tool prints its own, each once:
// compose-go repeats a warning for every place a variable is used.
type logFormat struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (f *logFormat) Format(e *logrus.Entry) ([]byte, error) {
	line := "compose-preflight: " + e.Level.String() + ": " + e.Message + "\n"
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen[line] {
		return nil, nil
	}
	f.seen[line] = true
	return []byte(line), nil
}

func main() {
	tuneGC(os.Environ())
	// compose-go logs through the process-wide logrus logger; its warnings
	// are docker compose's own and worth showing, in this tool's format.
	logrus.SetFormatter(&logFormat{seen: map[string]bool{}})
	logrus.SetOutput(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-preflight:", err)
		os.Exit(exitUsage)
	}
	io := stdio{
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		environ:  os.Environ(),
		cwd:      cwd,
		terminal: term.IsTerminal(int(os.Stdout.Fd())),
		root:     "/",
	}
	os.Exit(run(ctx, os.Args, io))
}

// exitError carries an exit code out of a cli action.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, sio stdio) int {
	code := exitClean
	app := newApp(sio, &code)
	if len(args) > 0 && asDockerPlugin(args[0]) {
		if len(args) > 1 && args[1] == pluginMetadataCommand {
			if err := writePluginMetadata(sio.stdout); err != nil {
				fmt.Fprintln(sio.stderr, "compose-preflight:", err)
				return exitUsage
			}
			return exitClean
		}
		args = pluginArgs(args)
		app.Name, app.UsageText = "docker "+pluginName, "docker "+pluginName+" [options]"
	}
	if err := app.RunContext(ctx, args); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintln(sio.stderr, "compose-preflight:", ee.err)
			}
			return ee.code
		}
		fmt.Fprintln(sio.stderr, "compose-preflight:", err)
		return exitUsage
	}
	return code
}

func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func newApp(sio stdio, code *int) *cli.App {
	return &cli.App{
		Name:      "compose-preflight",
		Usage:     "check a docker compose project's published ports before it starts",
		UsageText: "compose-preflight [options]",
		Writer:    sio.stdout,
		ErrWriter: sio.stderr,
		// The exit code is ours to set (0 clean, 1 conflicts, 2 usage or
		// load error): never let urfave/cli call os.Exit.
		ExitErrHandler:            func(*cli.Context, error) {},
		DisableSliceFlagSeparator: true, // -f a,b.yaml is one file, as in docker compose
		Version:                   version(),
		EnableBashCompletion:      true,
		Flags:                     append(checkFlags(), recursiveFlag),
		Commands:                  []*cli.Command{hookCommand(sio, code), whyCommand(sio, code), completionCommand(sio)},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%v (see --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("unexpected argument %q (see --help)", c.Args().First())
			}
			if c.Bool("recursive") {
				return checkRecursive(c, sio, code)
			}
			opts, err := optionsFrom(c, sio)
			if err != nil {
				return err
			}
			n, err := runCheck(c.Context, opts, sio)
			*code = n
			return err
		},
	}
}
