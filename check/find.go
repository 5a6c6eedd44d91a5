package check

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

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
	// IPv4Only says the engine binds no IPv6 host address: dockerd without
	// its userland proxy publishes a port on all addresses on 0.0.0.0
	// only, and an IPv6 host IP not at all (engine.UserlandProxy).
	IPv4Only bool
	// EngineAPI is the engine's API version ("1.41"), empty when no engine
	// said: it dates how the engine allocates host ranges.
	EngineAPI string
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
	binds := in.hostEndpoints(b)
	for _, e := range ix.on(b.Protocol, p) {
		s := in.Sockets[e.socket]
		worst := Free
		for _, e := range binds {
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
			hs = append(hs, Holder{Verdict: InUse, Container: c, ContainerPort: cp, Own: in.own(c, b)})
		}
	}
	return hs
}

// hostEndpoints are the host addresses the engine binds for b: without
// the userland proxy, its IPv4 ones only.
func (in *Input) hostEndpoints(b Binding) []endpoint {
	es := b.endpoints()
	if !in.IPv4Only {
		return es
	}
	return slices.DeleteFunc(es, func(e endpoint) bool { return !e.addr.Unmap().Is4() })
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

// own reports whether container c is this very project's container of
// b's service. Whatever the file now says of that service's ports (another
// host IP, another target), `up` either leaves the container as it is or
// recreates it, stopping the old one before the new one binds: measured
// with docker compose v2 on dockerd 20.10 and moby v2. Another service of
// the same project is not exempt.
func (in *Input) own(c *engine.Container, b Binding) bool {
	return in.Project != "" && c.Project == in.Project && c.Service == b.Service
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
		f, ok := in.hostFinding(ix, b, need)
		if !ok && b.IsRange() {
			f, ok = in.rangeOrderFinding(ix, b, need)
		}
		if ok && f.Detail == "" && onlyIPv6Half(f, b, in.Host.GOOS) {
			f.Detail = fmt.Sprintf("the engine's IPv6 bind fails: it publishes [::]:%d beside 0.0.0.0:%d", f.Port, f.Port)
		}
		if ok {
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

// onlyIPv6Half reports whether every host socket in the way of a binding
// on all addresses leaves its IPv4 half (0.0.0.0:P) alone: the engine's
// bind of [::]:P is what fails ("listen tcp6 [::]:P: bind: address
// already in use", measured on dockerd 20.10), which the plain holder
// list does not make plain.
func onlyIPv6Half(f Finding, b Binding, goos string) bool {
	if b.HostIP.IsValid() || len(f.Holders) == 0 {
		return false
	}
	v4 := endpoint{addr: netip.IPv4Unspecified()}
	for _, h := range f.Holders {
		if !h.HasSocket() || overlap(socketEndpoint(h.Socket), v4, goos) != Free {
			return false
		}
	}
	return true
}

// rangeOrderFinding checks a host range the way engines before Docker 27
// (API 1.46) allocate one: the allocator hands out the range's ports in
// order, skipping only those it gave out itself, and fails when a host
// socket holds the one it picked (moby#44136; since moby#47871 it tries
// the next: measured, Docker 26.1.5 fails and 27.0.3 starts). Each
// replica takes the next such port. On an engine that said it is older,
// that is an in-use error; when no engine said, a range-order warning,
// since Docker 27 and later start fine.
func (in *Input) rangeOrderFinding(ix index, b Binding, need int) (Finding, bool) {
	known := in.EngineAPI != ""
	if known && !APIBefore(in.EngineAPI, "1.46") {
		return Finding{}, false
	}
	taken := 0
	for p := int(b.Published); p <= int(b.Last) && taken < need; p++ {
		hs := in.holders(ix, b, uint16(p))
		if slices.ContainsFunc(hs, func(h Holder) bool { return h.Container != nil }) {
			continue // the engine's own allocation: it skips it
		}
		if len(hs) == 0 {
			taken++
			continue
		}
		if !known {
			return Finding{Kind: KindRangeOrder, Severity: Warning, Port: uint16(p), Holders: hs,
				Detail: fmt.Sprintf("an engine before Docker 27 takes port %d of %s next and fails, since a host socket holds it; Docker 27 and later try the next port (no engine said its version)", p, b.PortText())}, true
		}
		return Finding{Kind: KindInUse, Severity: Error, Port: uint16(p), Holders: hs,
			Detail: fmt.Sprintf("this engine (API %s, before Docker 27) takes port %d of %s next and does not try another", in.EngineAPI, p, b.PortText())}, true
	}
	return Finding{}, false
}

// APIBefore reports whether Engine API version a ("1.41") is older than b.
func APIBefore(a, b string) bool {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	ai, _ := strconv.Atoi(am)
	bi, _ := strconv.Atoi(bm)
	if ai != bi {
		return ai < bi
	}
	aj, _ := strconv.Atoi(an)
	bj, _ := strconv.Atoi(bn)
	return aj < bj
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

// EngineChosenFindings checks the bindings whose host port the engine
// picks (published "0" or none; bs have Published 0). Since Docker 27
// (API 1.46) an engine gives every binding of one container port the same
// picked host port, so two such bindings of one service on overlapping
// addresses ("127.0.0.1::80" and "80") fail: "failed to bind host port
// 127.0.0.1:P/tcp: address already in use". Measured with the real-engine
// suite: Docker 20.10 (API 1.41) and 26.1.5 (1.45) pick two ports and
// start; 27.0.3 (1.46), 27.5.1 (1.47), 28.0.0 (1.48) and moby v2 (1.56)
// fail. With no engine to ask, the current engine's rule applies.
func EngineChosenFindings(bs []Binding, api string) []Finding {
	if api != "" && APIBefore(api, "1.46") {
		return nil
	}
	var out []Finding
	for j, b := range bs {
		for i := 0; i < j; i++ {
			a := bs[i]
			if a.Service != b.Service || a.Target != b.Target || a.Protocol != b.Protocol || !bindingsOverlap(a, b) {
				continue
			}
			engine := "the current engine"
			if api != "" {
				engine = "this engine (API " + api + ")"
			}
			out = append(out, Finding{Kind: KindDuplicate, Severity: Error, Binding: -1, Other: -1, Service: b.Service,
				Detail: fmt.Sprintf("publishes container port %d/%s twice with a host port the engine picks, on %s and %s: %s picks one port for both, and the second bind fails; give one a fixed host port, or drop one",
					b.Target, b.Protocol, a.HostAddr(), b.HostAddr(), engine)})
			break
		}
	}
	return out
}
