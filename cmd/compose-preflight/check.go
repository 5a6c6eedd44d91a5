package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

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
		err = withExitCode(err)
		return exitCodeOf(err), err
	}
	lines := fx.Lines
	if r.opts.dryRun {
		lines = nil
		for _, c := range fx.Changes {
			fmt.Fprint(w, rewrite.Diff(r.Rel(c.Path), c.Old, c.New))
		}
	}
	for _, l := range slices.Concat(lines, fx.Manual, fx.Summary) {
		fmt.Fprintln(w, l)
	}
	if fx.Clean() {
		return exitClean, nil
	}
	return exitConflict, nil
}
