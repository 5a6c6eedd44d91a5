package compose

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Binding is one fixed host port a service publishes.
type Binding struct {
	Service string
	// HostIP is the host address as compose reports it: "" means every
	// address (0.0.0.0 and [::]); IPv6 addresses come without brackets.
	HostIP string
	// Published is one port ("8080") or a host range ("9000-9005") meaning
	// the engine binds any one free port in it (one per replica).
	Published string
	// First and Last are Published as numbers, parsed once here: First ==
	// Last for one port.
	First, Last uint16
	Target      uint32
	// Protocol is "tcp", "udp" or "sctp".
	Protocol string
	// Replicas is the service's scale (scale or deploy.replicas, default 1):
	// a fixed port with more than one replica conflicts with itself.
	Replicas int
	// Sources are every place in the project's files that defines this
	// port. A port declared in both a base and an override file has two,
	// and a change must edit all of them or the old port comes back through
	// the merge. Empty when no definition could be traced.
	Sources []Source
}

// Where a variable's value comes from.
const (
	OriginEnvFile = "env-file" // set in an env file (.env, --env-file, an include's env_file)
	OriginShell   = "shell"    // set in the process environment: cannot be changed in a file
	OriginDefault = "default"  // unset: the ${VAR:-default} default is used
)

// Source is one definition of a binding's published port.
type Source struct {
	// File is the absolute path of the compose file.
	File string
	// Line and Column (1-based) locate the published port text when it is
	// a literal, else the start of the scalar's value. Column counts
	// characters (runes), as editors show it; use Offset/End to edit bytes.
	Line, Column int
	// Text is the scalar as the YAML parser reads it, before interpolation:
	// the short-syntax entry ("${WEB_PORT:-8080}:80") or the value of a
	// long-syntax `published:`.
	Text string
	// Literal is true when the published port is written in the file as is
	// (not from a variable); then File[Offset:End] is exactly that text,
	// e.g. "8080" in `- "127.0.0.1:8080:80"`, or "8000-8010" for an
	// expanded range.
	Literal     bool
	Offset, End int
	// Variable is set when the published port is exactly the value of one
	// variable expression (or its default).
	Variable *Variable
	// Unsafe, when not empty, says why this definition must not be edited
	// automatically (block scalar, shared anchor, assembled from several
	// parts, part of a variable's value, ...). Check it before Literal or
	// Variable.
	Unsafe string
}

// Variable is the variable that supplies a published port.
type Variable struct {
	Name string
	// Default is the default text of ${NAME:-default} or ${NAME-default}.
	Default string
	// Value is the port it yields.
	Value string
	// Origin is OriginEnvFile, OriginShell or OriginDefault.
	Origin string
	// File, Line and Column locate the definition that counts (the last
	// one) in the env file, for OriginEnvFile.
	File         string
	Line, Column int
}

// extract builds the Project from compose-go's loaded project.
func (l *loader) extract(tp *types.Project) (*Project, error) {
	p := &Project{
		Name:         tp.Name,
		WorkingDir:   tp.WorkingDir,
		ComposeFiles: slices.Clone(tp.ComposeFiles),
		EnvFiles:     slices.Clone(l.po.EnvFiles),
	}
	root := &scope{dir: tp.WorkingDir, env: tp.Environment, shell: l.environ}
	if _, ok := l.environ["PWD"]; !ok {
		root.shell = maps.Clone(l.environ)
		root.shell["PWD"] = l.cwd
	}
	for _, f := range p.EnvFiles {
		ef, err := readEnvFile(f, func(k string) (string, bool) {
			v, ok := root.shell[k]
			return v, ok
		})
		if err == nil {
			root.envFiles = append(root.envFiles, ef)
		}
	}
	ix := l.ix
	if ix == nil {
		ix = newIndex()
	}
	var local []string
	for _, f := range tp.ComposeFiles {
		if f != "-" {
			local = append(local, f)
		}
	}
	entries := ix.replay(local, root, 0)

	p.Ports = make(map[string][]types.ServicePortConfig)
	for _, s := range activeServices(tp) {
		p.Services++
		p.Ports[s.Name] = slices.Clone(s.Ports)
		mode := s.NetworkMode
		switch {
		case mode == "host":
			ns := NetworkModeService{Service: s.Name, NetworkMode: mode}
			for _, pc := range s.Ports {
				ns.Ports = append(ns.Ports, HostPort{Port: fmt.Sprint(pc.Target), Protocol: pc.Protocol, From: "ports"})
			}
			for _, e := range s.Expose {
				port, proto, _ := strings.Cut(e, "/")
				if proto == "" {
					proto = "tcp"
				}
				ns.Ports = append(ns.Ports, HostPort{Port: port, Protocol: proto, From: "expose"})
			}
			p.HostNetwork = append(p.HostNetwork, ns)
			continue
		case strings.HasPrefix(mode, "service:") || strings.HasPrefix(mode, "container:"):
			ns := NetworkModeService{Service: s.Name, NetworkMode: mode}
			for _, pc := range s.Ports {
				if fixed(pc.Published) {
					ns.Ports = append(ns.Ports, HostPort{Port: pc.Published, Protocol: pc.Protocol, From: "ports"})
				}
			}
			if len(ns.Ports) > 0 {
				p.SharedNetwork = append(p.SharedNetwork, ns)
			}
			continue
		}
		// compose-go keeps a short and a long entry of one port apart;
		// each such binding is its own entry's, so --fix moves one.
		repeats, nth := map[portID]int{}, map[portID]int{}
		for _, pc := range s.Ports {
			repeats[idOf(pc)]++
		}
		for _, pc := range s.Ports {
			if !fixed(pc.Published) {
				continue
			}
			// Every entry compose-go keeps reaches the engine, which
			// publishes each: a short and a long syntax entry for the same
			// port are two bindings, and the second one fails ("port is
			// already allocated"), measured on dockerd 20.10 and moby v2.
			b := Binding{
				Service:   s.Name,
				HostIP:    pc.HostIP,
				Published: pc.Published,
				Target:    pc.Target,
				Protocol:  pc.Protocol,
				Replicas:  s.GetScale(),
			}
			b.Sources = sources(entries[s.Name], pc)
			if key := idOf(pc); repeats[key] > 1 && len(b.Sources) == repeats[key] {
				b.Sources = b.Sources[nth[key] : nth[key]+1]
				nth[key]++
			}
			var ok bool
			if b.First, b.Last, ok = parsePublished(pc.Published); !ok {
				// compose-go lets a long-syntax published value through
				// unchecked; the engine would refuse it
				le := &LoadError{Msg: fmt.Sprintf("invalid port %q: a published port must be a number from 1 to 65535 or a range of them", pc.Published)}
				if len(b.Sources) > 0 {
					le.File, le.Line = b.Sources[0].File, b.Sources[0].Line
				}
				return nil, le
			}
			p.Bindings = append(p.Bindings, b)
		}
	}
	return p, nil
}

// parsePublished reads a fixed published value, a port ("8080") or a
// port range ("9000-9005"), and reports whether the engine accepts it:
// digits only, from 1 to 65535, the range not reversed. It is the one
// place the published text is read as numbers.
func parsePublished(v string) (first, last uint16, ok bool) {
	lo, hi, isRange := strings.Cut(v, "-")
	if !isRange {
		hi = lo
	}
	l, err1 := strconv.ParseUint(lo, 10, 16)
	h, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || l < 1 || l > h {
		return 0, 0, false
	}
	return uint16(l), uint16(h), true
}

// fixed reports whether a published value names a host port: "" and "0"
// let the engine pick an ephemeral one.
func fixed(published string) bool { return published != "" && published != "0" }

// sources lists every surviving definition that yields pc.
func sources(entries []*portEntry, pc types.ServicePortConfig) []Source {
	want := idOf(pc)
	var out []Source
	seen := map[*portNode]bool{}
	for _, e := range entries {
		if seen[e.node] {
			continue
		}
		if !e.yields(want) {
			continue
		}
		seen[e.node] = true
		out = append(out, e.source())
	}
	return out
}

// source describes where and how an entry writes its published port.
func (e *portEntry) source() Source {
	pn := e.node
	f := pn.file
	n := pn.pub
	s := Source{File: f.path, Text: n.Value}
	start := f.valueStart(n)
	if start >= 0 {
		s.Line, s.Column = f.lineCol(start)
	} else {
		s.Line, s.Column = n.Line, n.Column
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		s.Unsafe = "block scalar: edit it by hand"
		return s
	}
	out, segs, err := trackInterpolate(n.Value, e.scope.lookup)
	if err != nil {
		s.Unsafe = "cannot interpolate: " + err.Error()
		return s
	}
	ps, pe := 0, len(out)
	if pn.short {
		var ok bool
		if ps, pe, ok = publishedSpan(out); !ok {
			s.Unsafe = "no published port in the text"
			return s
		}
	}
	s.Unsafe = e.classify(&s, out, segs, ps, pe, start)
	if s.Unsafe == "" && len(pn.shared) > 0 {
		s.Unsafe = "shared through an anchor by services " + strings.Join(pn.shared, ", ") + ": changing it changes them all"
	}
	return s
}

// classify decides whether the published span [ps,pe) of the interpolated
// text is a literal in the file, exactly one variable, or neither; it fills
// s and returns the reason when it is neither.
func (e *portEntry) classify(s *Source, out string, segs []segment, ps, pe, start int) string {
	var covering []segment
	for _, sg := range segs {
		if sg.outEnd > ps && sg.outStart < pe || (ps == pe && sg.outStart <= ps && ps < sg.outEnd) {
			covering = append(covering, sg)
		}
	}
	if len(covering) != 1 {
		return "assembled from several parts of " + quoteText(s.Text) + ": edit it by hand"
	}
	sg := covering[0]
	switch {
	case sg.literal:
		f := e.node.file
		if !f.verbatim(e.node.pub, start) {
			return "the scalar is not written verbatim (escapes or folded lines): edit it by hand"
		}
		s.Literal = true
		s.Offset = start + sg.rawStart + (ps - sg.outStart)
		s.End = s.Offset + (pe - ps)
		s.Line, s.Column = f.lineCol(s.Offset)
		return ""
	case sg.escape:
		return "contains an escaped $: edit it by hand"
	case sg.outStart != ps || sg.outEnd != pe:
		return "part of the value of $" + sg.name + ": edit it by hand"
	}
	v := &Variable{Name: sg.name, Value: out[ps:pe]}
	val, set := e.scope.lookup(sg.name)
	useDefault := false
	switch sg.op {
	case ":-":
		v.Default = sg.def
		useDefault = !set || val == ""
	case "-":
		v.Default = sg.def
		useDefault = !set
	case ":+", "+":
		return "conditional ${" + sg.name + sg.op + "...}: edit it by hand"
	}
	if useDefault {
		if strings.Contains(sg.def, "$") {
			return "the default of $" + sg.name + " is itself interpolated: set " + sg.name + " instead"
		}
		v.Origin = OriginDefault
	} else {
		origin, ef, ok := e.scope.origin(sg.name)
		if !ok {
			return "$" + sg.name + " has no traceable definition"
		}
		v.Origin = origin
		if ef != nil {
			v.File = ef.path
			if d, ok := ef.defs[sg.name]; ok {
				v.Line, v.Column = d.line, d.column
			}
		}
	}
	s.Variable = v
	return ""
}

func quoteText(t string) string { return fmt.Sprintf("%q", t) }
