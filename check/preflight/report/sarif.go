package report

import (
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/preflight"
)

// The SARIF 2.1.0 log (OASIS Static Analysis Results Interchange
// Format), for code scanning tools such as GitHub's: one run, a rule per
// finding kind, a result per finding located at the port's definition.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// WriteSARIF writes the checks of one run (one project, or several:
// --recursive, the git hook) as one SARIF log with one run: a result per
// finding, located at the port's definition by its path relative to the
// check's working directory, and a rule per finding kind. version is the
// tool's version the log records: a library cannot know the version of
// the program it is built into.
func WriteSARIF(w io.Writer, version string, results []*preflight.Result) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{
		Name: "compose-preflight", Version: version,
		InformationURI: "https://github.com/compose-preflight/compose-preflight",
		Rules:          []sarifRule{},
	}}, Results: []sarifResult{}}
	for _, r := range results {
		used := map[check.Kind]bool{}
		for _, f := range r.Findings {
			used[f.Kind] = true
			run.Results = append(run.Results, sarifFinding(r, f))
		}
		// each check's rules sorted, after those of the checks before it
		var rules []sarifRule
		for k := range used {
			if !slices.ContainsFunc(run.Tool.Driver.Rules, func(x sarifRule) bool { return x.ID == string(k) }) {
				rules = append(rules, sarifRule{ID: string(k), ShortDescription: sarifMessage{k.Description()}})
			}
		}
		slices.SortFunc(rules, func(a, b sarifRule) int { return strings.Compare(a.ID, b.ID) })
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rules...)
	}
	return encode(w, sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifFinding(r *preflight.Result, f check.Finding) sarifResult {
	res := sarifResult{RuleID: string(f.Kind), Level: level(f.Severity, "note"), Message: sarifMessage{message(r, f, ". Next: ")}}
	if src, ok := r.Primary(f); ok {
		res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(r.Rel(src.File))},
			Region:           sarifRegion{StartLine: src.Line, StartColumn: src.Column},
		}}}
	}
	return res
}
