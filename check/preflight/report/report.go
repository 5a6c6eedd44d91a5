// Package report turns checks into what other programs read: the JSON
// report (schema 1) that compose-preflight --format json prints, the
// SARIF log of --format sarif for code scanning, and the GitHub Actions
// workflow commands of --format github, for one project or for several
// checked together (--recursive, the git hook). Editors and Go tools that
// embed package preflight use it to hand on exactly what the command
// prints, byte for byte, and [Document] to read a JSON report back.
//
// The text report is the command's own: it is for people, and changes
// more freely.
package report

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
)

// Schema is the version of the JSON report. It changes only when a field
// changes meaning or goes away, so that a reader can rely on what it
// knows; new fields come without a change.
const Schema = 1

// Document is the JSON report. Field names follow the compose
// specification's vocabulary: service, host_ip, published, target.
type Document struct {
	Schema  int     `json:"schema"`
	Project Project `json:"project"`
	// Checked says what the ports were checked against, such as "this
	// host and its Docker engine" or "the files only".
	Checked string  `json:"checked"`
	Summary Summary `json:"summary"`
	// Findings are never null: a clean check has none.
	Findings []Finding `json:"findings"`
	// Projects is set when one run checked several projects (Merge):
	// each as Project would describe it alone, while Project sums them
	// up.
	Projects []Project `json:"projects,omitempty"`
}

// Project is what was checked: the project's files, services and ports.
type Project struct {
	Name           string   `json:"name"`
	WorkingDir     string   `json:"working_dir"`
	ComposeFiles   []string `json:"compose_files"`
	EnvFiles       []string `json:"env_files"`
	Services       int      `json:"services"`
	PublishedPorts int      `json:"published_ports"`
}

// Summary counts the findings. ExitCode is the command's: 1 when an error
// remains (with strict, a warning), 0 otherwise.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	ExitCode int `json:"exit_code"`
	// Static is true when only the files were checked (no host sockets,
	// no engine), as in CI.
	Static bool `json:"static"`
}

// Binding is one published port as the project defines it.
type Binding struct {
	Service string `json:"service"`
	HostIP  string `json:"host_ip"`
	// Published is the host port as written: "8080", or a range
	// "9000-9005".
	Published string `json:"published"`
	Target    uint32 `json:"target"`
	Protocol  string `json:"protocol"`
	Replicas  int    `json:"replicas"`
}

// Variable is the variable a port comes from, and where it is set.
type Variable struct {
	Name string `json:"name"`
	// Origin is where its value comes from: "env-file" (File, at Line
	// and Column), "shell" (the environment, which no file changes) or
	// "default" (unset: the ${VAR:-default} Default is used).
	Origin  string `json:"origin"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Default string `json:"default,omitempty"`
}

// Source is a place in the files that defines a binding.
type Source struct {
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Column   int       `json:"column"`
	Text     string    `json:"text"`
	Variable *Variable `json:"variable,omitempty"`
}

// Holder is what holds a port: a socket and its process, or a swarm
// service's port, which has no socket on this node.
type Holder struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     uint16 `json:"port"`
	State    string `json:"state"`
	// Verdict is what the socket does to the project's bind: "in-use"
	// (the bind fails) or "shadowed" (both binds succeed, and one of
	// them gets the other's traffic).
	Verdict string   `json:"verdict"`
	UID     *uint32  `json:"uid,omitempty"`
	PID     int32    `json:"pid,omitempty"`
	Process string   `json:"process,omitempty"`
	Cmdline []string `json:"cmdline,omitempty"`
	User    string   `json:"user,omitempty"`
	// SwarmService to Nodes are set for a swarm service's port, which
	// has no socket on this node.
	SwarmService string   `json:"swarm_service,omitempty"`
	Stack        string   `json:"stack,omitempty"`
	PublishMode  string   `json:"publish_mode,omitempty"`
	Nodes        []string `json:"nodes,omitempty"`
}

// Finding is one conflict or warning, with the binding it is about (none
// for a finding about the run, such as an engine that does not answer).
type Finding struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	// Service is "" for a finding about the run.
	Service string   `json:"service"`
	Message string   `json:"message"`
	Binding *Binding `json:"binding,omitempty"`
	Sources []Source `json:"sources,omitempty"`
	// Other is the other binding of a duplicate.
	Other   *Binding `json:"other,omitempty"`
	Holders []Holder `json:"holders,omitempty"`
	// NextFreePort is where a fix moves an error's port (0: nowhere).
	NextFreePort uint16 `json:"next_free_port,omitempty"`
	// Range is the expanded range a finding speaks for (a ports entry
	// such as "49152-65535:49152-65535/udp"), and Ports the sub-ranges of
	// it concerned (held, published twice, ephemeral, privileged).
	Range *Range  `json:"range,omitempty"`
	Ports []Range `json:"ports,omitempty"`
}

// Range is a range of ports, First to Last included.
type Range struct {
	First uint16 `json:"first"`
	Last  uint16 `json:"last"`
}

// ExitCode is the exit code compose-preflight gives a check: 1 when an
// error remains (with strict, a warning too), 0 otherwise.
func ExitCode(r *preflight.Result, strict bool) int {
	for _, f := range r.Findings {
		if f.Severity == check.Error || (strict && f.Severity == check.Warning) {
			return 1
		}
	}
	return 0
}

// New is the document of one check; strict is as in ExitCode.
func New(r *preflight.Result, strict bool) *Document {
	d := &Document{
		Schema: Schema,
		Project: Project{
			Name: r.Project.Name, WorkingDir: r.Project.WorkingDir,
			ComposeFiles: r.Project.ComposeFiles, EnvFiles: r.Project.EnvFiles,
			Services: r.Project.Services, PublishedPorts: len(r.Input.Bindings),
		},
		Checked:  r.Checked,
		Findings: []Finding{},
	}
	if d.Project.EnvFiles == nil {
		d.Project.EnvFiles = []string{}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case check.Error:
			d.Summary.Errors++
		case check.Warning:
			d.Summary.Warnings++
		}
		d.Findings = append(d.Findings, finding(r, f))
	}
	d.Summary.ExitCode = ExitCode(r, strict)
	d.Summary.Static = r.Options().Static
	return d
}

func finding(r *preflight.Result, f check.Finding) Finding {
	jf := Finding{Kind: string(f.Kind), Severity: f.Severity.String(), Service: f.Service, Message: r.Message(f)}
	if f.Binding >= 0 {
		jf.Binding = binding(r, f.Binding)
		for _, s := range r.Project.Bindings[f.Binding].Sources {
			jf.Sources = append(jf.Sources, Source{File: s.File, Line: s.Line, Column: s.Column, Text: s.Text, Variable: variable(s.Variable)})
		}
		if f.Severity == check.Error {
			if m, ok := r.Next(f.Binding); ok && m.To() != 0 {
				jf.NextFreePort = m.To()
			}
		}
	}
	if f.Other >= 0 {
		jf.Other = binding(r, f.Other)
	}
	if f.Range != (check.PortRange{}) {
		jf.Range = &Range{f.Range.First, f.Range.Last}
		for _, p := range f.Ports {
			jf.Ports = append(jf.Ports, Range{p.First, p.Last})
		}
	}
	for _, h := range f.Holders {
		jf.Holders = append(jf.Holders, holder(h))
	}
	return jf
}

func binding(r *preflight.Result, i int) *Binding {
	b := r.Project.Bindings[i]
	return &Binding{Service: b.Service, HostIP: b.HostIP, Published: b.Published, Target: b.Target, Protocol: b.Protocol, Replicas: r.Input.Bindings[i].Replicas}
}

func variable(v *compose.Variable) *Variable {
	if v == nil {
		return nil
	}
	jv := &Variable{Name: v.Name, Origin: v.Origin, File: v.File, Default: v.Default}
	if v.Origin == compose.OriginEnvFile {
		jv.Line, jv.Column = preflight.VariablePos(v)
	}
	return jv
}

func holder(h check.Holder) Holder {
	jh := Holder{Protocol: h.Socket.Protocol, Address: h.Socket.Addr.String(), Port: h.Socket.Port,
		State: h.Socket.State.String(), Verdict: h.Verdict.String(), PID: h.Socket.PID}
	if h.Socket.UIDKnown {
		uid := h.Socket.UID
		jh.UID = &uid
	}
	if o := h.Owner; o != nil {
		jh.PID, jh.Process, jh.Cmdline, jh.User = o.PID, o.Name, o.Cmdline, o.User
	}
	if sv := h.SwarmService; sv != nil {
		jh.SwarmService, jh.Stack, jh.PublishMode, jh.Nodes = sv.Name, sv.Stack, h.ServicePort.Mode, h.ServicePort.Nodes
		jh.Protocol, jh.Port = h.ServicePort.Protocol, h.ServicePort.Published
	}
	return jh
}

// Merge is the document of several projects checked in one run, found in
// dir: Project describes them together (their files, services and
// ports, in dir), Projects lists each one as Project would alone, and the
// findings and the summary cover all of them. A finding about the run
// rather than a project (no engine, inside a container), which each
// project reports alike, is listed once; the summary still counts each.
func Merge(dir string, docs []*Document) *Document {
	all := &Document{Schema: Schema, Findings: []Finding{}, Projects: []Project{}}
	all.Project = Project{WorkingDir: dir, ComposeFiles: []string{}, EnvFiles: []string{}}
	for _, d := range docs {
		all.Projects = append(all.Projects, d.Project)
		all.Project.ComposeFiles = append(all.Project.ComposeFiles, d.Project.ComposeFiles...)
		all.Project.EnvFiles = append(all.Project.EnvFiles, d.Project.EnvFiles...)
		all.Project.Services += d.Project.Services
		all.Project.PublishedPorts += d.Project.PublishedPorts
		all.Checked = d.Checked
		all.Summary.Static = d.Summary.Static
		all.Summary.Errors += d.Summary.Errors
		all.Summary.Warnings += d.Summary.Warnings
		all.Summary.ExitCode = max(all.Summary.ExitCode, d.Summary.ExitCode)
		for _, f := range d.Findings {
			// about the run (check.Finding.AboutRun): no binding, no service
			if f.Binding == nil && f.Service == "" && slices.ContainsFunc(all.Findings, func(g Finding) bool {
				return g.Binding == nil && g.Kind == f.Kind && g.Message == f.Message
			}) {
				continue // about the run: said once
			}
			all.Findings = append(all.Findings, f)
		}
	}
	return all
}

// Encode writes d as compose-preflight prints it: indented by two
// spaces, with a final newline.
func (d *Document) Encode(w io.Writer) error {
	return encode(w, d)
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
