package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/check/preflight/report"
)

// printer renders one check as text, JSON, GitHub annotations or SARIF.
type printer struct {
	*preflight.Result
	opts options
	// said are the findings about the run (no engine, in a container)
	// that an earlier project of the run already reported, each alike
	// (nil for one project): the text says them once.
	said map[string]bool
}

func (r *printer) write(w io.Writer) error {
	switch r.opts.format {
	case "json":
		return report.New(r.Result, r.opts.strict).Encode(w)
	case "github":
		return report.WriteGitHub(w, []*preflight.Result{r.Result})
	case "sarif":
		return report.WriteSARIF(w, version(), []*preflight.Result{r.Result})
	}
	return r.writeText(w)
}

// ANSI styles, used only on a terminal and never with NO_COLOR.
const (
	styleError = "\x1b[1;31m"
	styleWarn  = "\x1b[1;33m"
	styleDim   = "\x1b[2m"
	styleCaret = "\x1b[32m"
	styleReset = "\x1b[0m"
)

func (r *printer) paint(style, s string) string {
	if !r.opts.color {
		return s
	}
	return style + s + styleReset
}

func (r *printer) writeText(out io.Writer) error {
	w := bufio.NewWriter(out)
	conflicts, warnings := 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case check.Error:
			conflicts++
		case check.Warning:
			warnings++
		case check.Info:
			if r.opts.quiet {
				continue
			}
		}
		if r.said != nil && f.AboutRun() {
			key := fmt.Sprint(f.Severity, f.Kind, r.Message(f))
			if r.said[key] {
				continue // counted all the same, as each project has it
			}
			r.said[key] = true
		}
		r.writeFinding(w, f)
	}
	if !r.opts.quiet {
		fmt.Fprintln(w, r.summary(conflicts, warnings))
	}
	return w.Flush()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (r *printer) summary(conflicts, warnings int) string {
	head := "no conflicts"
	if conflicts > 0 {
		head = plural(conflicts, "conflict", "conflicts")
	}
	s := fmt.Sprintf("%s in %s (%s checked against %s)", head,
		plural(r.Project.Services, "service", "services"),
		plural(len(r.Input.Bindings), "published port", "published ports"), r.Checked)
	if warnings > 0 {
		s += ", " + plural(warnings, "warning", "warnings")
	}
	return s
}

// writeFinding prints one finding: its line, the source snippet with a
// caret under the port, where else it is defined, and the next step.
func (r *printer) writeFinding(w io.Writer, f check.Finding) {
	sev := f.Severity.String()
	switch f.Severity {
	case check.Error:
		sev = r.paint(styleError, sev)
	case check.Warning:
		sev = r.paint(styleWarn, sev)
	}
	fmt.Fprintf(w, "%s: %s: %s %s\n", r.Location(f), sev, r.Message(f), r.paint(styleDim, "["+string(f.Kind)+"]"))
	if src, ok := r.Primary(f); ok {
		if line, caret, ok := r.Snippet(src); ok {
			fmt.Fprintf(w, "    %s\n    %s\n", line, r.paint(styleCaret, caret))
		}
		b := r.Project.Bindings[f.Binding]
		if v := src.Variable; v != nil {
			fmt.Fprintf(w, "  the port comes from %s\n", r.VariableText(v))
		}
		for _, s := range b.Sources[1:] {
			fmt.Fprintf(w, "  also defined at %s:%d:%d\n", r.Rel(s.File), s.Line, s.Column)
		}
	}
	if f.Severity == check.Error {
		if n := r.NextStep(f); n != "" {
			fmt.Fprintf(w, "  next: %s\n", n)
		}
	}
}
