package check

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Ranges at scale. Compose expands "49152-65535:49152-65535/udp" into one
// binding per port, and a project may publish every port there is. What
// is written once is reported once: the findings of one expanded range
// are merged (Merge), and nothing here looks at pairs of bindings, only
// at bindings sorted by port.

// runs groups the bindings of each expanded range: those that share an
// Entry, service, protocol and host IP, each a single port. It returns,
// for each binding, the index of the first binding of its run, and for
// each run (by that index) its ports. compose-go may list the ports of a
// range in any order (by text: 1, 10, 100, ...), so a run is not assumed
// to be contiguous in the list.
func runs(bs []Binding) (start []int, span map[int]PortRange) {
	type key struct {
		entry         int
		service, prot string
		ip            string
	}
	start = make([]int, len(bs))
	span = map[int]PortRange{}
	first := map[key]int{}
	for i, b := range bs {
		start[i] = i
		if b.Entry == 0 || b.IsRange() {
			continue
		}
		k := key{b.Entry, b.Service, b.Protocol, b.HostIP.String()}
		s, ok := first[k]
		if !ok {
			first[k] = i
			span[i] = PortRange{b.Published, b.Published}
			continue
		}
		start[i] = s
		r := span[s]
		span[s] = PortRange{min(r.First, b.Published), max(r.Last, b.Published)}
	}
	return start, span
}

// Merge gives each expanded range one finding per kind: the findings of
// its bindings become one, about the whole Range, with every holder kept
// and the ports concerned in Ports. Findings about a binding on its own,
// or about no binding, are left as they are. Call it last, once holders
// are attributed (Attribute compares each holder with its own binding).
// Merging merged findings changes nothing.
func Merge(fs []Finding, in *Input) []Finding {
	bs := in.Bindings
	start, span := runs(bs)
	type key struct {
		run  int
		kind Kind
	}
	at := map[key]int{}
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		if f.Binding < 0 || f.Binding >= len(bs) {
			out = append(out, f)
			continue
		}
		run := start[f.Binding]
		r := span[run]
		if r.First == r.Last {
			out = append(out, f)
			continue
		}
		ports := f.Ports
		if f.Range == (PortRange{}) {
			ports = []PortRange{{f.Port, f.Port}}
		}
		k := key{run, f.Kind}
		if j, ok := at[k]; ok {
			g := &out[j]
			g.Holders = append(g.Holders, f.Holders...)
			g.Ports = append(g.Ports, ports...)
			if f.Port < g.Port {
				g.Port = f.Port
			}
			continue
		}
		f.Range = r
		f.Ports = slices.Clone(ports)
		at[k] = len(out)
		out = append(out, f)
	}
	for i := range out {
		if f := &out[i]; f.Range != (PortRange{}) {
			f.Ports = joinRanges(f.Ports)
			f.Detail = in.runDetail(*f)
		}
	}
	return out
}

// joinRanges sorts port ranges and joins those that touch or overlap.
func joinRanges(rs []PortRange) []PortRange {
	slices.SortFunc(rs, func(a, b PortRange) int { return cmp.Compare(a.First, b.First) })
	var out []PortRange
	for _, r := range rs {
		if n := len(out); n > 0 && int(out[n-1].Last)+1 >= int(r.First) {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// RangesText renders port ranges as "8001, 8004-8006", the first few and
// then how many more.
func RangesText(rs []PortRange) string {
	const shown = 3
	var parts []string
	for i, r := range rs {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-shown))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

// String renders r as "8080" or "8000-8002".
func (r PortRange) String() string {
	if r.First == r.Last {
		return fmt.Sprint(r.First)
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

// width counts the ports of rs.
func width(rs []PortRange) int {
	n := 0
	for _, r := range rs {
		n += int(r.Last) - int(r.First) + 1
	}
	return n
}

// runDetail says what a merged finding is about, for its whole range.
func (in *Input) runDetail(f Finding) string {
	which := func(verb string) string {
		if n := width(f.Ports); n == 1 {
			return fmt.Sprintf("port %s %s", RangesText(f.Ports), verb)
		} else if n == int(f.Range.Last)-int(f.Range.First)+1 {
			return fmt.Sprintf("all %d ports %s", n, pluralVerb(verb))
		}
		return fmt.Sprintf("%d of its ports (%s) %s", width(f.Ports), RangesText(f.Ports), pluralVerb(verb))
	}
	switch f.Kind {
	case KindEphemeral:
		return fmt.Sprintf("%s inside the ephemeral range %d-%d: an outgoing connection can take one at any moment", which("is"), in.Host.EphemeralFirst, in.Host.EphemeralLast)
	case KindPrivileged:
		if f.Severity == Error {
			return fmt.Sprintf("the engine is rootless and %s below %d (net.ipv4.ip_unprivileged_port_start): its bind will fail", which("is"), in.Host.UnprivilegedStart)
		}
		return fmt.Sprintf("%s below %d: a rootless Docker or Podman engine cannot bind them", which("is"), in.Host.UnprivilegedStart)
	case KindInUse, KindShadowed:
		// the holders say which ports are taken; with none, the bind was
		// refused with no socket to show, which the detail says
		return f.Detail
	case KindDuplicate:
		return which("is") + " published twice"
	case KindReplicas:
		return fmt.Sprintf("%d replicas cannot all publish the same host ports %s: use a host range per container port, or no host port", replicas(in.Bindings[f.Binding]), f.Range)
	case KindHostIP:
		return f.Detail
	}
	return f.Detail
}

func pluralVerb(v string) string {
	if v == "is" {
		return "are"
	}
	return v
}

// duplicatesIndexed finds the pairs of bindings the engine itself refuses
// to publish together, looking only at bindings on the same port (one
// sort), never at every pair: a fixed port published twice on
// overlapping addresses, and a fixed port inside a host range (rangeFixed).
func duplicatesIndexed(bs []Binding) []Finding {
	var fixed []int // single-port bindings, by protocol, port, then index
	for i, b := range bs {
		if !b.IsRange() {
			fixed = append(fixed, i)
		}
	}
	slices.SortFunc(fixed, func(i, j int) int {
		return cmp.Or(cmp.Compare(bs[i].Protocol, bs[j].Protocol), cmp.Compare(bs[i].Published, bs[j].Published), cmp.Compare(i, j))
	})
	var out []Finding
	for lo := 0; lo < len(fixed); {
		hi := lo + 1
		for hi < len(fixed) && bs[fixed[hi]].Protocol == bs[fixed[lo]].Protocol && bs[fixed[hi]].Published == bs[fixed[lo]].Published {
			hi++
		}
		for x := lo + 1; x < hi; x++ {
			// one finding per binding, naming the first it overlaps: a
			// thousand services on one port give a thousand, not half a
			// million
			j := fixed[x]
			for _, i := range fixed[lo:x] {
				if bindingsOverlap(bs[i], bs[j]) {
					out = append(out, Finding{Kind: KindDuplicate, Severity: Error, Binding: j, Other: i, Service: bs[j].Service, Port: bs[j].Published})
					break
				}
			}
		}
		lo = hi
	}
	for r, b := range bs {
		if b.IsRange() {
			if f, ok := rangeFixed(bs, fixed, r); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// rangeFixed reports the fixed ports of the project inside host range r
// on overlapping addresses. However many ports of the range stay free, the
// engine hands out a range's ports in order, keeps its place in the range
// from one container to the next and sees only its own allocations per
// address: it may give the range a port a fixed binding needs, or the
// fixed binding may come first and the range's turn fail. Whether `up`
// works depends on the order the containers start. The finding is about
// the range, so --fix moves the range clear of the fixed ports.
func rangeFixed(bs []Binding, fixed []int, r int) (Finding, bool) {
	b := bs[r]
	lo, _ := slices.BinarySearchFunc(fixed, b, func(i int, b Binding) int {
		return cmp.Or(cmp.Compare(bs[i].Protocol, b.Protocol), cmp.Compare(bs[i].Published, b.Published))
	})
	var inside []int
	var ports []PortRange
	for _, i := range fixed[lo:] {
		a := bs[i]
		if a.Protocol != b.Protocol || a.Published > b.Last {
			break
		}
		if bindingsOverlap(a, b) {
			inside = append(inside, i)
			ports = append(ports, PortRange{a.Published, a.Published})
		}
	}
	if len(inside) == 0 {
		return Finding{}, false
	}
	ports = joinRanges(ports)
	first := bs[inside[0]]
	f := Finding{Kind: KindDuplicate, Severity: Error, Binding: r, Other: inside[0], Service: b.Service, Port: first.Published}
	others := ""
	if len(inside) > 1 {
		others = fmt.Sprintf(" (and %d more of the project's fixed ports: %s)", len(inside)-1, RangesText(ports))
	}
	if left := b.Width() - width(ports); left < replicas(b) {
		f.Detail = fmt.Sprintf("the range has too few ports left once %s is taken%s", RangesText(ports), others)
	} else {
		f.Detail = fmt.Sprintf("the engine hands out a range's ports in order and remembers its place between runs, so whether up works depends on start order%s", others)
	}
	return f, true
}

// Compress sorts ports and joins neighbours into ranges.
func Compress(ports []uint16) []PortRange {
	ps := slices.Clone(ports)
	slices.Sort(ps)
	rs := make([]PortRange, 0, len(ps))
	for _, p := range slices.Compact(ps) {
		rs = append(rs, PortRange{p, p})
	}
	return joinRanges(rs)
}
