package preflight

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// Rel shortens path to be relative to the working directory when it is
// inside it, as compilers print paths.
func (r *Result) Rel(path string) string {
	if rel, err := filepath.Rel(r.opts.Load.WorkingDir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// Primary is where a finding points: the first source of its binding.
func (r *Result) Primary(f check.Finding) (compose.Source, bool) {
	if f.Binding < 0 || len(r.Project.Bindings[f.Binding].Sources) == 0 {
		return compose.Source{}, false
	}
	return r.Project.Bindings[f.Binding].Sources[0], true
}

// Location is where a finding points, as a compiler names it: file:line:col,
// the compose file for a finding about a service, or "compose-preflight"
// for one about the run.
func (r *Result) Location(f check.Finding) string {
	if s, ok := r.Primary(f); ok {
		return fmt.Sprintf("%s:%d:%d", r.Rel(s.File), s.Line, s.Column)
	}
	if f.Service == "" {
		return "compose-preflight" // about the run, not a file
	}
	if len(r.Project.ComposeFiles) > 0 {
		return r.Rel(r.Project.ComposeFiles[0])
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
			extra = append(extra, commandText(o.Cmdline))
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

// commandWidth is how much of a command line a report shows: enough to
// tell one program from another, short enough for one line.
const commandWidth = 100

// commandText is a command line on one line: control characters escaped
// (a `python3 -c` program has newlines), cut to commandWidth characters.
func commandText(args []string) string {
	var b strings.Builder
	n := 0
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
			n++
		}
		for _, c := range a {
			if n >= commandWidth {
				return b.String() + "…"
			}
			if unicode.IsControl(c) {
				q := strconv.QuoteRune(c) // '\n', '\x1b'
				b.WriteString(q[1 : len(q)-1])
			} else {
				b.WriteRune(c)
			}
			n++
		}
	}
	return b.String()
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

// holdersShown is how many holders (or owners) a message names before
// "and N more"; the JSON report keeps them all.
const holdersShown = 3

// holdersText says who holds a finding's ports: each socket when there
// are few, else the ports grouped by who holds them, so that a range held
// by one process names it once.
func holdersText(hs []check.Holder) string {
	if len(hs) == 1 {
		return holderText(hs[0])
	}
	type group struct {
		who   string
		proto string
		addrs []string
		ports []uint16
	}
	var groups []*group
	byWho := map[string]*group{}
	for _, h := range hs {
		who, addr, port, proto := "", "", uint16(0), ""
		if h.HasSocket() {
			addr, port, proto = netip.AddrPortFrom(h.Socket.Addr, 0).Addr().String(), h.Socket.Port, h.Socket.Protocol
			if h.Socket.Addr.Is6() && !h.Socket.Addr.Is4In6() {
				addr = "[" + addr + "]"
			}
			who = ownerText(h)
			if h.Container != nil {
				who = containerText(h.Container)
			}
		} else {
			ip := h.ContainerPort.HostIP
			if !ip.IsValid() {
				ip = netip.IPv4Unspecified()
			}
			addr, port, proto = ip.String(), h.ContainerPort.Published, h.ContainerPort.Protocol
			who = containerText(h.Container)
		}
		g := byWho[who+"\x00"+proto]
		if g == nil {
			g = &group{who: who, proto: proto}
			byWho[who+"\x00"+proto] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.addrs, addr) {
			g.addrs = append(g.addrs, addr)
		}
		g.ports = append(g.ports, port)
	}
	if len(groups) == len(hs) && len(hs) <= holdersShown {
		// a few holders, each holding one socket: each said as it is
		var parts []string
		for _, h := range hs {
			parts = append(parts, holderText(h))
		}
		return strings.Join(parts, "; and ")
	}
	var parts []string
	for i, g := range groups {
		if i == holdersShown {
			parts = append(parts, fmt.Sprintf("%d more holders", len(groups)-holdersShown))
			break
		}
		ranges := check.Compress(g.ports)
		addrs := strings.Join(g.addrs, ", ")
		if len(g.addrs) > 2 {
			addrs = fmt.Sprintf("%s, %s and %d more addresses", g.addrs[0], g.addrs[1], len(g.addrs)-2)
		}
		what := fmt.Sprintf("port %s/%s on %s is", check.RangesText(ranges), g.proto, addrs)
		if len(ranges) > 1 || ranges[0].First != ranges[0].Last {
			what = fmt.Sprintf("ports %s/%s on %s are", check.RangesText(ranges), g.proto, addrs)
		}
		parts = append(parts, what+" held by "+g.who)
	}
	return strings.Join(parts, "; and ")
}

// Message is the one-line text of a finding, without location or kind.
func (r *Result) Message(f check.Finding) string {
	if f.Binding < 0 {
		if f.Service == "" {
			return f.Detail
		}
		return fmt.Sprintf("service %q %s", f.Service, f.Detail)
	}
	b := r.Input.Bindings[f.Binding]
	hostRange := b.IsRange() // "any one of", not an expanded range
	if f.Range != (check.PortRange{}) {
		// an expanded range: the finding speaks for all of it
		b.Published, b.Last = f.Range.First, f.Range.Last
	}
	lead := fmt.Sprintf("service %q publishes %s", b.Service, b)
	switch f.Kind {
	case check.KindInUse:
		if len(f.Holders) == 0 {
			return lead + ", but " + f.Detail
		}
		msg := lead + ", but " + holdersText(f.Holders)
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
		return fmt.Sprintf("%s, held by this project's own running %s: up keeps it or recreates it", lead, strings.Join(slices.Compact(names), ", "))
	case check.KindShadowed:
		h := f.Holders[0]
		if h.SwarmService != nil || r.opts.Stack != "" {
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
		o := r.Input.Bindings[f.Other]
		at := ""
		if src, ok := r.Primary(check.Finding{Binding: f.Other}); ok {
			at = fmt.Sprintf(" at %s:%d:%d", r.Rel(src.File), src.Line, src.Column)
		}
		if hostRange && !o.IsRange() {
			// a fixed port inside a host range: a matter of start order
			return fmt.Sprintf("%s, and %s of service %q%s lies inside it: %s", lead, o, o.Service, at, f.Detail)
		}
		msg := fmt.Sprintf("%s, which overlaps %s of service %q%s", lead, o, o.Service, at)
		msg += ": the engine refuses the second (port is already allocated)"
		if f.Detail != "" {
			msg += "; " + f.Detail
		}
		return msg
	}
	return lead + ": " + f.Detail
}

// NextStep says what to do about an error finding.
func (r *Result) NextStep(f check.Finding) string {
	var steps []string
	if m, ok := r.next[f.Binding]; ok && f.Binding >= 0 && m.to == 0 {
		steps = append(steps, "--fix cannot move it: "+m.manual)
	} else if ok && f.Binding >= 0 {
		step := fmt.Sprintf("%s is the nearest free port", m.newText())
		if m.newWidth() > 1 {
			step = fmt.Sprintf("%s is the nearest free range", m.newText())
		}
		if m.manual != "" && !r.opts.ForFix {
			// what --fix would say on its "not fixed" line (which a fix
			// or dry run prints itself)
			step += " (--fix leaves it to you: " + m.manual + ")"
		}
		steps = append(steps, step)
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
	if f.Kind == check.KindPrivileged && f.Severity == check.Error && f.Binding >= 0 {
		// --fix leaves it: which port a service meant to be on below
		// 1024 moves to is the user's call, or the host's setting is
		b := r.Input.Bindings[f.Binding]
		steps = append(steps, fmt.Sprintf("publish a port from %d up; or let unprivileged processes bind it: sysctl net.ipv4.ip_unprivileged_port_start=%d",
			r.Input.Host.UnprivilegedStart, b.Published))
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

// Snippet returns the source line of s and a caret line under its span.
func (r *Result) Snippet(s compose.Source) (string, string, bool) {
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

// VariablePos is where a variable's value is in its env file (what to change),
// or where compose found its definition when the file cannot be re-read.
func VariablePos(v *compose.Variable) (line, col int) {
	if src, err := os.ReadFile(v.File); err == nil {
		if l, c, ok := rewrite.EnvValuePos(src, v.Name); ok {
			return l, c
		}
	}
	return v.Line, v.Column
}

// VariableText says where a port's variable is set.
func (r *Result) VariableText(v *compose.Variable) string {
	switch v.Origin {
	case compose.OriginEnvFile:
		line, col := VariablePos(v)
		return fmt.Sprintf("%s, set at %s:%d:%d", v.Name, r.Rel(v.File), line, col)
	case compose.OriginShell:
		return fmt.Sprintf("%s, set in the shell environment", v.Name)
	}
	return fmt.Sprintf("%s, unset, so its default %s applies", v.Name, v.Default)
}
