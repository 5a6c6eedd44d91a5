package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/check/preflight/report"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// runCheck runs one check and writes its report; it returns the exit code.
// Load errors are returned as exit code 2 with their one-line message.
func runCheck(ctx context.Context, o options, sio stdio) (int, error) {
	res, err := checkOne(ctx, o, sio)
	if err != nil {
		return exitCodeOf(err), err
	}
	defer res.Close()
	r := &printer{Result: res, opts: o}
	if o.fix || o.dryRun {
		return r.runFix(ctx, sio.stdout)
	}
	if err := r.write(sio.stdout); err != nil {
		return exitUsage, loadError(err)
	}
	return report.ExitCode(res, o.strict), nil
}

// checkOne runs the check, first saying why this host is not checked
// when CI is the reason; its error carries the exit code.
func checkOne(ctx context.Context, o options, sio stdio) (*preflight.Result, error) {
	if o.check.Static && o.staticReason != "" {
		fmt.Fprintln(sio.stderr, "compose-preflight:", o.staticReason)
	}
	res, err := preflight.Check(ctx, o.check)
	if err != nil {
		return nil, withExitCode(err)
	}
	return res, nil
}

// withExitCode gives a library error its exit code: 1 for a fix that
// could not be made (nothing written), 2 for input that does not load.
func withExitCode(err error) error {
	if fe := (*preflight.FixError)(nil); errors.As(err, &fe) {
		return &exitError{code: exitConflict, err: err}
	}
	return loadError(err)
}

// exitCodeOf is the exit code an error of withExitCode carries.
func exitCodeOf(err error) int {
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

// loadError is an error that ends the run with exit code 2.
func loadError(err error) error { return &exitError{code: exitUsage, err: err} }

// runFix moves every fixable conflict (into the override file, with
// --override) and reports what it did. With --dry-run it prints the diff
// and writes nothing.
func (r *printer) runFix(ctx context.Context, w io.Writer) (int, error) {
	fx, err := r.Fix(ctx, preflight.FixOptions{DryRun: r.opts.dryRun, Override: r.opts.override, AllowOutside: r.opts.allowOutside})
	if fx != nil && (err == nil || r.opts.override != "") {
		// the conflicts a fix leaves, as a check would report them
		for _, f := range r.Findings {
			if fx.Left(f) {
				r.writeFinding(w, f)
			}
		}
	}
	if err != nil {
		return exitCodeOf(withExitCode(err)), withExitCode(err)
	}
	if r.opts.dryRun {
		for _, c := range fx.Changes {
			fmt.Fprint(w, rewrite.Diff(r.Rel(c.Path), c.Old, c.New))
		}
		if fx.Override == "" {
			for _, l := range fx.Manual {
				fmt.Fprintln(w, l)
			}
		}
		fmt.Fprintf(w, "%s would move; nothing written (--dry-run)\n", plural(len(fx.Moved), "port", "ports"))
		if len(fx.Moved) > 0 || fx.Remaining > 0 || fx.Override != "" {
			return exitConflict, nil
		}
		return exitClean, nil
	}
	for _, l := range fx.Lines {
		fmt.Fprintln(w, l)
	}
	if fx.Override != "" {
		fmt.Fprintf(w, "%s moved into %s%s\n", plural(len(fx.Moved), "port", "ports"), r.Rel(fx.Override), fx.OverrideUse)
		if fx.Remaining > 0 {
			fmt.Fprintf(w, "%s left to fix by hand.\n", plural(fx.Remaining, "conflict", "conflicts"))
			return exitConflict, nil
		}
		return exitClean, nil
	}
	for _, l := range fx.Manual {
		fmt.Fprintln(w, l)
	}
	switch {
	case fx.Remaining == 0 && len(fx.Moved) > 0:
		fmt.Fprintf(w, "%s moved; the project now checks clean.\n", plural(len(fx.Moved), "port", "ports"))
	case fx.Remaining == 0:
		fmt.Fprintln(w, "nothing to fix; the project checks clean.")
	default:
		fmt.Fprintf(w, "%s moved; %s left to fix by hand.\n", plural(len(fx.Moved), "port", "ports"), plural(fx.Remaining, "conflict", "conflicts"))
		return exitConflict, nil
	}
	return exitClean, nil
}
