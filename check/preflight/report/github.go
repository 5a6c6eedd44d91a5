package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/preflight"
)

// WriteGitHub writes the checks of one run (one project, or several) as
// GitHub Actions workflow commands, which the runner turns into
// annotations on the compose file's line: one per finding, its file
// relative to the check's working directory. A finding about the run
// (check.Finding.AboutRun, such as an engine that does not answer) is
// written once, however many projects report it.
func WriteGitHub(w io.Writer, results []*preflight.Result) error {
	bw := bufio.NewWriter(w)
	said := map[string]bool{} // annotations about the run
	for _, r := range results {
		for _, f := range r.Findings {
			line := githubLine(r, f)
			if f.AboutRun() {
				if said[line] {
					continue
				}
				said[line] = true
			}
			bw.WriteString(line)
		}
	}
	return bw.Flush()
}

// githubLine is the workflow command of one finding.
func githubLine(r *preflight.Result, f check.Finding) string {
	props := []string{}
	if src, ok := r.Primary(f); ok {
		props = append(props, "file="+githubEscapeProp(r.Rel(src.File)),
			fmt.Sprintf("line=%d", src.Line), fmt.Sprintf("col=%d", src.Column))
	}
	props = append(props, "title="+githubEscapeProp("compose-preflight "+string(f.Kind)))
	msg := message(r, f, "\nnext: ")
	return fmt.Sprintf("::%s %s::%s\n", level(f.Severity, "notice"), strings.Join(props, ","), githubEscape(msg))
}

// level names a severity as GitHub and SARIF do: error, warning, and
// info, whose name differs between the two.
func level(s check.Severity, info string) string {
	if s == check.Info {
		return info
	}
	return s.String()
}

// message is the message of f and, for an error, its next step after sep.
func message(r *preflight.Result, f check.Finding, sep string) string {
	msg := r.Message(f)
	if f.Severity == check.Error {
		if n := r.NextStep(f); n != "" {
			msg += sep + n
		}
	}
	return msg
}

// githubEscape escapes a workflow command's message (GitHub's
// toolkit/core command.ts escapeData).
func githubEscape(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// githubEscapeProp escapes a workflow command's property value.
func githubEscapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
