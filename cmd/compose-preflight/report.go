package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
	"github.com/compose-preflight/compose-preflight/compose"
)

// schemaVersion is the version of the JSON report; it changes only when a
// field changes meaning or goes away.
const schemaVersion = 1

// report is one run's result, rendered as text, JSON or GitHub annotations.
type report struct {
	proj     *compose.Project
	in       *check.Input
	opts     options
	findings []check.Finding
	next     map[int]uint16      // binding index -> nearest free port
	probe    check.ProbeFunc     // confirms picks; nil when this host is not checked
	checked  string              // what the bindings were checked against
	lines    map[string][]string // file -> lines, read once for snippets
}

func (r *report) exitCode() int {
	for _, f := range r.findings {
		if f.Severity == check.Error || (r.opts.strict && f.Severity == check.Warning) {
			return exitConflict
		}
	}
	return exitClean
}

func (r *report) write(w io.Writer) error {
	switch r.opts.format {
	case "json":
		return r.writeJSON(w)
	case "github":
		return r.writeGitHub(w)
	case "sarif":
		return r.writeSARIF(w)
	}
	return r.writeText(w)
}

// rel shortens path to be relative to the working directory when it is
// inside it, as compilers print paths.
func (r *report) rel(path string) string {
	if rel, err := filepath.Rel(r.opts.load.WorkingDir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// primary is where a finding points: the first source of its binding.
func (r *report) primary(f check.Finding) (compose.Source, bool) {
	if f.Binding < 0 || len(r.proj.Bindings[f.Binding].Sources) == 0 {
		return compose.Source{}, false
	}
	return r.proj.Bindings[f.Binding].Sources[0], true
}

func (r *report) location(f check.Finding) string {
	if s, ok := r.primary(f); ok {
		return fmt.Sprintf("%s:%d:%d", r.rel(s.File), s.Line, s.Column)
	}
	if f.Service == "" {
		return "compose-preflight" // about the run, not a file
	}
	if len(r.proj.ComposeFiles) > 0 {
		return r.rel(r.proj.ComposeFiles[0])
	}
	return "compose"
}

// sockAddr renders a socket's address as docker and ss print it.
func sockAddr(a netip.Addr, port uint16, proto string) string {
	return netip.AddrPortFrom(a, port).String() + "/" + proto
}

// ownerText says who holds a socket, as precisely as this user can see.
func ownerText(h check.Holder) string {
	if h.Owner != nil {
		o := h.Owner
		s := fmt.Sprintf("pid %d %s", o.PID, o.Name)
		var extra []string
		if p, ok := engine.ParseDockerProxyArgs(o.Cmdline); ok && p.ContainerIP.IsValid() && !p.ContainerIP.IsUnspecified() {
			// the engine did not name the container (else this would be a
			// container holder): say where the proxy forwards instead
			s += fmt.Sprintf(", forwarding to a container at %s", netip.AddrPortFrom(p.ContainerIP, p.ContainerPort))
		} else if len(o.Cmdline) > 0 {
			extra = append(extra, strings.Join(o.Cmdline, " "))
		}
		if o.User != "" {
			extra = append(extra, "user "+o.User)
		}
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, ", ") + ")"
		}
		return s
	}
	if h.Socket.PID != 0 {
		return fmt.Sprintf("pid %d", h.Socket.PID)
	}
	if h.Socket.UIDKnown {
		return fmt.Sprintf("a process of uid %d that this user cannot see (run as root to name it)", h.Socket.UID)
	}
	return "a process this user cannot see"
}

// containerText names a container the way `docker ps` and compose do.
func containerText(c *engine.Container) string {
	var parts []string
	if c.Project != "" {
		parts = append(parts, fmt.Sprintf("compose project %q", c.Project))
	}
	if c.Service != "" {
		parts = append(parts, fmt.Sprintf("service %q", c.Service))
	}
	if c.SwarmService != "" {
		parts = append(parts, "task of swarm service "+c.SwarmService)
	}
	if c.Image != "" {
		parts = append(parts, "image "+c.Image)
	}
	s := "container " + c.Name
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// containerPortText renders an engine-reported port as docker ps does.
func containerPortText(p engine.Port) string {
	ip := p.HostIP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	return sockAddr(ip, p.Published, p.Protocol)
}

func holderText(h check.Holder) string {
	if h.SwarmService != nil {
		return serviceText(h.SwarmService, h.ServicePort)
	}
	if !h.HasSocket() {
		return "container " + strings.TrimPrefix(containerText(h.Container), "container ") + " publishes " + containerPortText(h.ContainerPort)
	}
	s := sockAddr(h.Socket.Addr, h.Socket.Port, h.Socket.Protocol)
	if h.Socket.State == sockets.Bound {
		s += " (bound, not listening)"
	}
	if h.Container != nil {
		return s + " is held by " + containerText(h.Container)
	}
	return s + " is held by " + ownerText(h)
}

// message is the one-line text of a finding, without location or kind.
func (r *report) message(f check.Finding) string {
	if f.Binding < 0 {
		if f.Service == "" {
			return f.Detail
		}
		return fmt.Sprintf("service %q %s", f.Service, f.Detail)
	}
	b := r.in.Bindings[f.Binding]
	lead := fmt.Sprintf("service %q publishes %s", b.Service, b)
	switch f.Kind {
	case check.KindInUse:
		if len(f.Holders) == 0 {
			return lead + ", but " + f.Detail
		}
		var parts []string
		for _, h := range f.Holders {
			parts = append(parts, holderText(h))
		}
		msg := lead + ", but " + strings.Join(parts, "; and ")
		if f.Detail != "" {
			msg += " (" + f.Detail + ")"
		}
		return msg
	case check.KindOwn:
		var names []string
		for _, h := range f.Holders {
			if h.SwarmService != nil {
				names = append(names, h.SwarmService.Name)
				continue
			}
			names = append(names, h.Container.Name)
		}
		if f.Holders[0].SwarmService != nil {
			return fmt.Sprintf("%s, held by this stack's own service %s: deploy updates it", lead, strings.Join(slices.Compact(names), ", "))
		}
		return fmt.Sprintf("%s, held by this project's own running %s: up recreates it", lead, strings.Join(slices.Compact(names), ", "))
	case check.KindShadowed:
		h := f.Holders[0]
		if h.SwarmService != nil || r.opts.stack != "" {
			// the swarm's routing mesh, not a more specific address
			var parts []string
			for _, h := range f.Holders {
				parts = append(parts, holderText(h))
			}
			return lead + ", but " + strings.Join(parts, "; and ") + ": " + f.Detail
		}
		who := ownerText(h)
		if h.Socket.Addr.Unmap().IsUnspecified() {
			return fmt.Sprintf("%s, and %s: both will start, and connections to %s reach the container while every other address of port %d reaches %s",
				lead, holderText(h), b.HostAddr(), f.Port, who)
		}
		return fmt.Sprintf("%s, and %s: both will start, and connections to %s reach %s, not the container",
			lead, holderText(h), sockAddr(h.Socket.Addr, h.Socket.Port, h.Socket.Protocol), who)
	case check.KindDuplicate:
		o := r.in.Bindings[f.Other]
		msg := fmt.Sprintf("%s, which overlaps %s of service %q", lead, o, o.Service)
		if src, ok := r.primary(check.Finding{Binding: f.Other}); ok {
			msg += fmt.Sprintf(" at %s:%d:%d", r.rel(src.File), src.Line, src.Column)
		}
		msg += ": the engine refuses the second (port is already allocated)"
		if f.Detail != "" {
			msg += "; " + f.Detail
		}
		return msg
	}
	return lead + ": " + f.Detail
}

// nextStep says what to do about an error finding.
func (r *report) nextStep(f check.Finding) string {
	var steps []string
	if p, ok := r.next[f.Binding]; ok && f.Binding >= 0 {
		steps = append(steps, fmt.Sprintf("%d is the nearest free port", p))
	}
	for _, h := range f.Holders {
		if s := h.SwarmService; s != nil {
			if s.Stack != "" {
				steps = append(steps, "remove it: docker stack rm "+s.Stack)
			} else {
				steps = append(steps, "remove it: docker service rm "+s.Name)
			}
			break
		}
		if c := h.Container; c != nil {
			if c.Project != "" && c.Service != "" {
				steps = append(steps, fmt.Sprintf("stop it: docker compose -p %s stop %s", c.Project, c.Service))
			} else {
				steps = append(steps, "stop it: docker stop "+c.Name)
			}
			break
		}
		if h.Owner != nil && engine.IsEngineProcess(h.Owner.Name) {
			// a container's port, held for it by the engine: stopping the
			// process would break the engine, not free the port
			port := strconv.Itoa(int(h.Socket.Port))
			if h.Socket.Protocol == "udp" {
				port += "/udp"
			}
			steps = append(steps, "find the container: docker ps --filter publish="+port)
			break
		}
		if h.Owner != nil {
			steps = append(steps, fmt.Sprintf("stop pid %d", h.Owner.PID))
			break
		}
	}
	if f.Kind == check.KindHostIP {
		steps = append(steps, "publish on an address of this host, or on all of them (no host IP)")
	}
	if len(steps) == 0 {
		return ""
	}
	return strings.Join(steps, "; or ")
}

// varExpr matches the expression that uses variable name: $NAME, or
// ${NAME...} up to its closing brace (defaults may nest one level).
func varExpr(name string) *regexp.Regexp {
	n := regexp.QuoteMeta(name)
	return regexp.MustCompile(`\$\{` + n + `(?:[^{}]|\{[^{}]*\})*\}|\$` + n + `\b`)
}

// snippet returns the source line of s and a caret line under its span.
func (r *report) snippet(s compose.Source) (string, string, bool) {
	if r.lines == nil {
		r.lines = make(map[string][]string)
	}
	lines, ok := r.lines[s.File]
	if !ok {
		b, err := os.ReadFile(s.File)
		if err == nil {
			lines = strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		}
		r.lines[s.File] = lines
	}
	if s.Line < 1 || s.Line > len(lines) {
		return "", "", false
	}
	line := strings.TrimPrefix(lines[s.Line-1], "\ufeff")
	runes := []rune(line)
	col := s.Column - 1
	if col < 0 || col > len(runes) {
		return "", "", false
	}
	width := len([]rune(s.Text))
	switch {
	case s.Literal:
		width = s.End - s.Offset
	case s.Variable != nil:
		// underline the variable's expression, not the whole entry
		if loc := varExpr(s.Variable.Name).FindStringIndex(s.Text); loc != nil && col+len([]rune(s.Text)) <= len(runes) {
			col += len([]rune(s.Text[:loc[0]]))
			width = len([]rune(s.Text[loc[0]:loc[1]]))
		}
	}
	width = max(1, min(width, len(runes)-col))
	var pad strings.Builder
	for _, c := range runes[:col] {
		if c == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return line, pad.String() + strings.Repeat("^", width), true
}
