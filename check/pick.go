package check

import (
	"net/netip"
	"slices"
)

// browserBlocked are the ports Chromium and Firefox refuse to open
// (Chromium net/base/port_util.cc kRestrictedPorts, which Firefox's list
// matches for these): a web service moved onto one of them would start
// but be unreachable from a browser with ERR_UNSAFE_PORT.
var browserBlocked = []uint16{
	1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79,
	87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
	139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
	540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
	2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
	6679, 6697, 10080,
}

// ProbeFunc reports whether proto/addr:port can be bound right now. The
// picker uses it as a second opinion on top of the table: it sees what
// tables miss (Windows excluded ranges, client sockets, sockets of users
// lsof cannot see).
type ProbeFunc func(proto string, addr netip.Addr, port uint16) bool

// Picker chooses free host ports for conflicting bindings. It is
// deterministic: the same host state gives the same answers, so a --fix
// run and a --dry-run agree.
type Picker struct {
	in    *Input
	ix    index
	probe ProbeFunc
	taken map[string]*portSet // by protocol
}

// portSet is a set of ports, one bit each: a picker over a project that
// publishes 1-65535 marks every port in 8 KiB, where a map took megabytes.
type portSet [65536 / 64]uint64

func (s *portSet) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }
func (s *portSet) add(p uint16)      { s[p/64] |= 1 << (p % 64) }

// NewPicker returns a picker over in's host state that never hands out a
// port any binding of the project already uses. probe may be nil.
func NewPicker(in *Input, probe ProbeFunc) *Picker {
	p := &Picker{in: in, ix: newIndex(in.Sockets), probe: probe, taken: make(map[string]*portSet)}
	for _, b := range in.Bindings {
		for q := int(b.Published); q <= int(b.Last); q++ {
			p.set(b.Protocol).add(uint16(q))
		}
	}
	return p
}

func (p *Picker) set(proto string) *portSet {
	s := p.taken[proto]
	if s == nil {
		s = new(portSet)
		p.taken[proto] = s
	}
	return s
}

// Pick returns the first port of the nearest window of free ports above
// b's own, as wide as b needs (a range keeps its width; replicas need one
// port each). It stays out of the ephemeral range unless b was in it, and
// skips reserved, browser-blocked (tcp) and already picked ports. The
// window is then taken, so successive picks never collide.
//
// The search visits each candidate port once, in order: a port that
// cannot be used restarts the window just above it, so a host where most
// ports are taken costs one look (and at most one probe) per port, never
// one per port and window position. Probes, the only costly look, come
// last and only for ports the table says are free.
func (p *Picker) Pick(b Binding) (uint16, bool) {
	width := max(b.Width(), replicas(b))
	h := p.in.Host
	ephemeralOK := h.ephemeral(b.Published)
	first := int(b.Published) + 1
	for q := first; q <= 65535; q++ {
		if h.ephemeral(uint16(q)) && !ephemeralOK {
			// the whole ephemeral range at once
			q = int(h.EphemeralLast)
			first = q + 1
			continue
		}
		if !p.usable(b, uint16(q)) {
			first = q + 1
			continue
		}
		if q-first+1 < width {
			continue
		}
		for r := first; r <= q; r++ {
			p.set(b.Protocol).add(uint16(r))
		}
		return uint16(first), true
	}
	return 0, false
}

// usable reports whether b can take port q: not taken by the project or
// an earlier pick, not reserved or browser-blocked, held by nothing the
// table or the engine knows, and bindable by a probe.
func (p *Picker) usable(b Binding, q uint16) bool {
	h := p.in.Host
	switch {
	case p.set(b.Protocol).has(q):
		return false
	case h.reserved(q):
		return false
	case b.Protocol == "tcp" && slices.Contains(browserBlocked, q):
		return false
	case len(p.in.holders(p.ix, b, q)) > 0:
		return false
	}
	if p.probe == nil || (b.Protocol != "tcp" && b.Protocol != "udp") {
		return true
	}
	for _, e := range b.endpoints() {
		if !p.probe(b.Protocol, e.addr, q) {
			return false
		}
	}
	return true
}
