package check

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// Input is everything Find looks at.
type Input struct {
	Bindings []Binding
	// Sockets is the host inventory; nil with --static, or when the host
	// table is the wrong one (a remote engine).
	Sockets []sockets.Socket
	Host    Host
	// Rootless says whether the engine is rootless (nil: unknown); a
	// rootful engine makes the privileged warning moot.
	Rootless *bool
	// Containers are the engine's running containers with their published
	// ports; nil when the engine is not asked or did not answer.
	Containers []engine.Container
	// Project is the compose project name: its own containers holding its
	// own bindings are not conflicts (`make up` twice must pass).
	Project string
}

// portKey indexes sockets by what a bind can collide with.
type portKey struct {
	proto string
	port  uint16
}

// index groups sockets by protocol and port so that each binding looks at
// the few sockets on its own port, whatever the size of the host table.
// It is one sorted slice, not a map: built in every run over thousands of
// sockets, a map costs an allocation per port and its growth, a slice one
// allocation and a sort.
type index []indexEntry

type indexEntry struct {
	key    uint32 // protoCode<<16 | port
	socket int32  // position in Input.Sockets
}

func indexKey(proto string, port uint16) uint32 {
	code := uint32(3) // what no socket in the table has: "sctp", say
	switch proto {
	case "tcp":
		code = 1
	case "udp":
		code = 2
	}
	return code<<16 | uint32(port)
}

func newIndex(socks []sockets.Socket) index {
	ix := make(index, len(socks))
	for i, s := range socks {
		ix[i] = indexEntry{indexKey(s.Protocol, s.Port), int32(i)}
	}
	slices.SortFunc(ix, func(a, b indexEntry) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.socket, b.socket))
	})
	return ix
}

// on returns the entries of the sockets on proto/port, in table order.
func (ix index) on(proto string, port uint16) []indexEntry {
	k := indexKey(proto, port)
	lo, _ := slices.BinarySearchFunc(ix, k, func(e indexEntry, k uint32) int { return cmp.Compare(e.key, k) })
	hi := lo
	for hi < len(ix) && ix[hi].key == k {
		hi++
	}
	return ix[lo:hi]
}

// holders returns the sockets that overlap a bind of b on port p.
func (in *Input) holders(ix index, b Binding, p uint16) []Holder {
	var hs []Holder
	for _, e := range ix.on(b.Protocol, p) {
		s := in.Sockets[e.socket]
		worst := Free
		for _, e := range b.endpoints() {
			switch v := overlap(socketEndpoint(s), e, in.Host.GOOS); {
			case v == InUse:
				worst = InUse
			case v == Shadowed && worst == Free:
				worst = Shadowed
			}
		}
		if worst != Free {
			hs = append(hs, Holder{Socket: s, Verdict: worst})
		}
	}
	for ci := range in.Containers {
		c := &in.Containers[ci]
		for _, cp := range c.Ports {
			if cp.Protocol != b.Protocol || cp.Published != p || !overlapsContainer(cp, b) {
				continue
			}
			hs = append(hs, Holder{Verdict: InUse, Container: c, ContainerPort: cp, Own: in.own(c, cp, b)})
		}
	}
	return hs
}

// containerEndpoints are the binds behind an engine-reported port: the
// engine reports 0.0.0.0 and :: separately, and binds :: with V6ONLY.
func containerEndpoints(cp engine.Port) []endpoint {
	if !cp.HostIP.IsValid() {
		return []endpoint{{addr: netip.IPv4Unspecified()}, {addr: netip.IPv6Unspecified(), v6only: true}}
	}
	return []endpoint{{addr: cp.HostIP, v6only: true}}
}

// overlapsContainer applies the engine's own allocator rules, which are
// Linux's on every OS (Docker Desktop's engine runs in a Linux VM).
func overlapsContainer(cp engine.Port, b Binding) bool {
	for _, ce := range containerEndpoints(cp) {
		for _, be := range b.endpoints() {
			if overlap(ce, be, "linux") != Free {
				return true
			}
		}
	}
	return false
}

// own reports whether container c holds binding b for this very project
// and service, with the same published binding: recreating the service
// frees it first.
func (in *Input) own(c *engine.Container, cp engine.Port, b Binding) bool {
	if in.Project == "" || c.Project != in.Project || c.Service != b.Service || uint32(cp.Target) != b.Target {
		return false
	}
	ip := cp.HostIP.Unmap()
	if !b.HostIP.IsValid() {
		return !ip.IsValid() || ip.IsUnspecified()
	}
	return ip == b.HostIP.Unmap()
}

// Find checks every binding against the host inventory and against the
// project's other bindings. Findings come in binding order, so output is
// stable for the same host state.
func Find(in Input) []Finding {
	ix := newIndex(in.Sockets)
	var out []Finding
	for i, b := range in.Bindings {
		out = append(out, in.bindingFindings(ix, i, b)...)
	}
	out = append(out, duplicates(in.Bindings)...)
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Binding != out[b].Binding {
			return out[a].Binding < out[b].Binding
		}
		return out[a].Severity > out[b].Severity
	})
	return out
}

func replicas(b Binding) int {
	if b.Replicas < 1 {
		return 1
	}
	return b.Replicas
}

func (in *Input) bindingFindings(ix index, i int, b Binding) []Finding {
	var out []Finding
	add := func(f Finding) {
		f.Binding, f.Other = i, -1
		f.Service = b.Service
		out = append(out, f)
	}
	need := replicas(b)
	if need > b.Width() {
		detail := fmt.Sprintf("%d replicas need %d host ports, but %s has %d", need, need, b.PortText(), b.Width())
		if !b.IsRange() {
			detail = fmt.Sprintf("%d replicas cannot all publish host port %d: use a range such as %d-%d, or no host port", need, b.Published, b.Published, int(b.Published)+need-1)
		}
		add(Finding{Kind: KindReplicas, Severity: Error, Port: b.Published, Detail: detail})
	}
	if (in.Sockets != nil || in.Containers != nil) && (b.Protocol == "tcp" || b.Protocol == "udp" || len(in.Containers) > 0) {
		if f, ok := in.hostFinding(ix, b, need); ok {
			add(f)
		}
	}
	switch {
	case b.Published >= in.Host.UnprivilegedStart:
	case in.Rootless == nil:
		add(Finding{Kind: KindPrivileged, Severity: Warning, Port: b.Published,
			Detail: fmt.Sprintf("port %d is below %d: a rootless Docker or Podman engine cannot bind it", b.Published, in.Host.UnprivilegedStart)})
	case *in.Rootless:
		// The engine said it is rootless: its bind will fail, unless the
		// administrator lowered ip_unprivileged_port_start (read above).
		add(Finding{Kind: KindPrivileged, Severity: Error, Port: b.Published,
			Detail: fmt.Sprintf("the engine is rootless and port %d is below %d (net.ipv4.ip_unprivileged_port_start): its bind will fail", b.Published, in.Host.UnprivilegedStart)})
	}
	if in.Host.ephemeral(b.Published) && in.Host.ephemeral(b.Last) {
		add(Finding{Kind: KindEphemeral, Severity: Warning, Port: b.Published,
			Detail: fmt.Sprintf("port %s is inside the ephemeral range %d-%d: an outgoing connection can take it at any moment", b.PortText(), in.Host.EphemeralFirst, in.Host.EphemeralLast)})
	}
	return out
}

// hostFinding checks b against the host's sockets. A host range conflicts
// only when fewer than need of its ports are free, since the engine picks
// any free one.
func (in *Input) hostFinding(ix index, b Binding, need int) (Finding, bool) {
	var all []Holder
	var first uint16
	free := 0
	for p := int(b.Published); p <= int(b.Last); p++ {
		hs := in.holders(ix, b, uint16(p))
		if len(hs) == 0 {
			free++
			continue
		}
		if first == 0 {
			first = uint16(p)
		}
		all = append(all, hs...)
	}
	if len(all) == 0 || free >= need {
		return Finding{}, false
	}
	kind := KindShadowed
	for _, h := range all {
		if h.Verdict == InUse {
			kind = KindInUse
		}
	}
	f := Finding{Kind: kind, Severity: Error, Port: first, Holders: all}
	if b.IsRange() {
		f.Detail = fmt.Sprintf("%d of the %d ports in %s are free, %d needed", free, b.Width(), b.PortText(), need)
	}
	return f, true
}

// duplicates finds pairs of bindings that the engine itself would refuse
// to publish together ("port is already allocated"): the same protocol,
// overlapping addresses by Docker's allocator rules (which are Linux's,
// on every OS) and a port in common (see duplicatesIndexed).
func duplicates(bs []Binding) []Finding { return duplicatesIndexed(bs) }

func bindingsOverlap(a, b Binding) bool {
	for _, ea := range a.endpoints() {
		for _, eb := range b.endpoints() {
			if overlap(ea, eb, "linux") != Free {
				return true
			}
		}
	}
	return false
}
