package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sort"

	"github.com/compose-preflight/compose-preflight/check"
)

// The SARIF 2.1.0 report (OASIS Static Analysis Results Interchange
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

func (r *report) writeSARIF(w io.Writer) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{
		Name: "compose-preflight", Version: version(),
		InformationURI: "https://github.com/compose-preflight/compose-preflight",
	}}, Results: []sarifResult{}}
	used := map[check.Kind]bool{}
	for _, f := range r.Findings {
		used[f.Kind] = true
		level := "note"
		switch f.Severity {
		case check.Error:
			level = "error"
		case check.Warning:
			level = "warning"
		}
		msg := r.Message(f)
		if f.Severity == check.Error {
			if n := r.NextStep(f); n != "" {
				msg += ". Next: " + n
			}
		}
		res := sarifResult{RuleID: string(f.Kind), Level: level, Message: sarifMessage{msg}}
		if src, ok := r.Primary(f); ok {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(r.Rel(src.File))},
				Region:           sarifRegion{StartLine: src.Line, StartColumn: src.Column},
			}}}
		}
		run.Results = append(run.Results, res)
	}
	run.Tool.Driver.Rules = []sarifRule{}
	for k := range used {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: string(k), ShortDescription: sarifMessage{k.Description()}})
	}
	sort.Slice(run.Tool.Driver.Rules, func(i, j int) bool { return run.Tool.Driver.Rules[i].ID < run.Tool.Driver.Rules[j].ID })
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
