package main

import (
	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
)

// The JSON report (schema 1). Field names follow the compose
// specification's vocabulary: service, host_ip, published, target.
type jsonReport struct {
	Schema   int           `json:"schema"`
	Project  jsonProject   `json:"project"`
	Checked  string        `json:"checked"`
	Summary  jsonSummary   `json:"summary"`
	Findings []jsonFinding `json:"findings"`
	// Projects is set when one run checked several projects (--recursive,
	// the hook): each as Project would describe it alone, while Project
	// sums them up.
	Projects []jsonProject `json:"projects,omitempty"`
}

type jsonProject struct {
	Name         string   `json:"name"`
	WorkingDir   string   `json:"working_dir"`
	ComposeFiles []string `json:"compose_files"`
	EnvFiles     []string `json:"env_files"`
	Services     int      `json:"services"`
	Ports        int      `json:"published_ports"`
}

type jsonSummary struct {
	Errors   int  `json:"errors"`
	Warnings int  `json:"warnings"`
	ExitCode int  `json:"exit_code"`
	Static   bool `json:"static"`
}

type jsonBinding struct {
	Service   string `json:"service"`
	HostIP    string `json:"host_ip"`
	Published string `json:"published"`
	Target    uint32 `json:"target"`
	Protocol  string `json:"protocol"`
	Replicas  int    `json:"replicas"`
}

type jsonVariable struct {
	Name    string `json:"name"`
	Origin  string `json:"origin"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Default string `json:"default,omitempty"`
}

type jsonSource struct {
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Column   int           `json:"column"`
	Text     string        `json:"text"`
	Variable *jsonVariable `json:"variable,omitempty"`
}

type jsonHolder struct {
	Protocol string   `json:"protocol"`
	Address  string   `json:"address"`
	Port     uint16   `json:"port"`
	State    string   `json:"state"`
	Verdict  string   `json:"verdict"`
	UID      *uint32  `json:"uid,omitempty"`
	PID      int32    `json:"pid,omitempty"`
	Process  string   `json:"process,omitempty"`
	Cmdline  []string `json:"cmdline,omitempty"`
	User     string   `json:"user,omitempty"`
	// a swarm service's port: no socket on this node
	SwarmService string   `json:"swarm_service,omitempty"`
	Stack        string   `json:"stack,omitempty"`
	PublishMode  string   `json:"publish_mode,omitempty"`
	Nodes        []string `json:"nodes,omitempty"`
}

type jsonFinding struct {
	Kind     string       `json:"kind"`
	Severity string       `json:"severity"`
	Service  string       `json:"service"`
	Message  string       `json:"message"`
	Binding  *jsonBinding `json:"binding,omitempty"`
	Sources  []jsonSource `json:"sources,omitempty"`
	Other    *jsonBinding `json:"other,omitempty"`
	Holders  []jsonHolder `json:"holders,omitempty"`
	NextPort uint16       `json:"next_free_port,omitempty"`
	// Range is the expanded range a finding speaks for (a ports entry
	// such as "49152-65535:49152-65535/udp"), and Ports the sub-ranges of
	// it concerned (held, published twice, ephemeral, privileged).
	Range *jsonRange  `json:"range,omitempty"`
	Ports []jsonRange `json:"ports,omitempty"`
}

type jsonRange struct {
	First uint16 `json:"first"`
	Last  uint16 `json:"last"`
}

func (r *report) jsonBinding(i int) *jsonBinding {
	b := r.Project.Bindings[i]
	return &jsonBinding{Service: b.Service, HostIP: b.HostIP, Published: b.Published, Target: b.Target, Protocol: b.Protocol, Replicas: r.Input.Bindings[i].Replicas}
}

func jsonVar(v *compose.Variable) *jsonVariable {
	if v == nil {
		return nil
	}
	jv := &jsonVariable{Name: v.Name, Origin: v.Origin, File: v.File, Default: v.Default}
	if v.Origin == compose.OriginEnvFile {
		jv.Line, jv.Column = preflight.VariablePos(v)
	}
	return jv
}

func (r *report) jsonReport() jsonReport {
	rep := jsonReport{
		Schema: schemaVersion,
		Project: jsonProject{
			Name: r.Project.Name, WorkingDir: r.Project.WorkingDir,
			ComposeFiles: r.Project.ComposeFiles, EnvFiles: r.Project.EnvFiles,
			Services: r.Project.Services, Ports: len(r.Input.Bindings),
		},
		Checked:  r.Checked,
		Findings: []jsonFinding{},
	}
	if rep.Project.EnvFiles == nil {
		rep.Project.EnvFiles = []string{}
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case check.Error:
			rep.Summary.Errors++
		case check.Warning:
			rep.Summary.Warnings++
		}
		jf := jsonFinding{Kind: string(f.Kind), Severity: f.Severity.String(), Service: f.Service, Message: r.Message(f)}
		if f.Binding >= 0 {
			jf.Binding = r.jsonBinding(f.Binding)
			for _, s := range r.Project.Bindings[f.Binding].Sources {
				jf.Sources = append(jf.Sources, jsonSource{File: s.File, Line: s.Line, Column: s.Column, Text: s.Text, Variable: jsonVar(s.Variable)})
			}
			if f.Severity == check.Error {
				if m, ok := r.Next(f.Binding); ok && m.To() != 0 {
					jf.NextPort = m.To()
				}
			}
		}
		if f.Other >= 0 {
			jf.Other = r.jsonBinding(f.Other)
		}
		if f.Range != (check.PortRange{}) {
			jf.Range = &jsonRange{f.Range.First, f.Range.Last}
			for _, p := range f.Ports {
				jf.Ports = append(jf.Ports, jsonRange{p.First, p.Last})
			}
		}
		for _, h := range f.Holders {
			jh := jsonHolder{Protocol: h.Socket.Protocol, Address: h.Socket.Addr.String(), Port: h.Socket.Port,
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
			jf.Holders = append(jf.Holders, jh)
		}
		rep.Findings = append(rep.Findings, jf)
	}
	rep.Summary.ExitCode = r.exitCode()
	rep.Summary.Static = r.opts.check.Static
	return rep
}
