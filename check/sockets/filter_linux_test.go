package sockets

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPortFilterKernel asks the kernel for the sockets on chosen ports of
// the test's own sockets (every kind openSockets has: v4, v6, V6ONLY,
// UDP, bound-only) and compares with the unfiltered dump cut down to
// those ports: the same sockets, nothing more. The filtered dump must
// also be accepted as it is, not through the unfiltered fallback.
func TestPortFilterKernel(t *testing.T) {
	ws := openSockets(t)
	ctx := context.Background()
	all, err := listNetlink(ctx, tcpStates, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ports []uint16
	own := map[uint64]bool{}
	for _, w := range ws {
		ports = append(ports, w.sock.Port)
		own[w.sock.Inode] = true
	}
	slices.Sort(ports)
	rng := rand.New(rand.NewPCG(1, 2))
	sets := [][]PortRange{
		{{ports[0], ports[0]}},                    // one port
		{{ports[0], ports[len(ports)-1]}},         // every test socket
		{{ports[0] + 1, ports[len(ports)-1] - 1}}, // all but the ends
		{{1, 65535}}, // everything
		{{ports[len(ports)-1], ports[len(ports)-1]}, {1, 1}}, // unsorted, one empty
		{{ports[1], ports[1]}, {ports[1] - 1, ports[1] + 1}}, // overlapping
		{{ports[2], ports[2]}, {ports[2] + 1, ports[2] + 1}}, // touching
		{{ports[3] + 1, ports[3]}},                           // reversed: nothing
	}
	for range 20 {
		var set []PortRange
		for range 1 + rng.IntN(6) {
			p := ports[rng.IntN(len(ports))]
			set = append(set, PortRange{p - uint16(rng.IntN(2)), p + uint16(rng.IntN(2))})
		}
		sets = append(sets, set)
	}
	for _, set := range sets {
		filter := portFilter(set)
		var got []Socket
		if filter == nil {
			got = []Socket{}
		} else if got, err = dumpAll(ctx, tcpStates, true, filter); err != nil {
			t.Fatalf("%v: the kernel refused the filter: %v", set, err)
		}
		// other processes' sockets come and go between two dumps: those
		// are only held to the ranges
		var want, gotOwn []Socket
		for _, s := range all {
			if own[s.Inode] && inRanges(s.Port, set) {
				want = append(want, s)
			}
		}
		for _, s := range got {
			if !inRanges(s.Port, set) {
				t.Errorf("ports %v: the kernel sent %+v", set, s)
			}
			if own[s.Inode] {
				gotOwn = append(gotOwn, s)
			}
		}
		if !sameSockets(gotOwn, want) {
			t.Errorf("ports %v:\n got %+v\nwant %+v", set, gotOwn, want)
		}
		// and through the exported listings
		if len(set) > 0 && filter != nil {
			listening, err := ListListening(ctx, set...)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range listening {
				if !inRanges(s.Port, set) {
					t.Errorf("ports %v: ListListening gave %+v", set, s)
				}
			}
		}
	}
}

func inRanges(p uint16, rs []PortRange) bool {
	for _, r := range rs {
		if r.First <= p && p <= r.Last {
			return true
		}
	}
	return false
}

// sameSockets compares two listings as sets (the kernel's order is its
// hash order).
func sameSockets(a, b []Socket) bool {
	key := func(s Socket) string { return fmt.Sprintf("%s %s %d %d", s.Protocol, s.Addr, s.Port, s.Inode) }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i, s := range a {
		ka[i] = key(s)
	}
	for i, s := range b {
		kb[i] = key(s)
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

// runFilter is the kernel's inet_diag_bc_run for the ops portFilter uses:
// it accepts when the jumps reach the end exactly.
func runFilter(bc []byte, port uint16) bool {
	ne := binary.NativeEndian
	at := 0
	for at < len(bc) {
		code, yes, no := bc[at], int(bc[at+1]), int(ne.Uint16(bc[at+2:]))
		ok := false
		switch code {
		case bcJMP:
		case bcSGE:
			ok = port >= ne.Uint16(bc[at+6:])
		case bcSLE:
			ok = port <= ne.Uint16(bc[at+6:])
		default:
			panic("op not in portFilter's programs")
		}
		if ok {
			at += yes
		} else {
			at += no
		}
	}
	return at == len(bc)
}

// auditFilter is the kernel's inet_diag_bc_audit for those ops: a program
// it fails would make the dump fail with EINVAL.
func auditFilter(bc []byte) bool {
	ne := binary.NativeEndian
	// reachable: the offsets on the chain of yes jumps from the start
	reachable := map[int]bool{}
	for at := 0; at < len(bc); {
		reachable[at] = true
		yes := int(bc[at+1])
		if yes < 4 || yes&3 != 0 {
			return false
		}
		at += yes
	}
	left := len(bc)
	for at := 0; left > 0; {
		if left < bcOp {
			return false
		}
		code, yes, no := bc[at], int(bc[at+1]), int(ne.Uint16(bc[at+2:]))
		minLen := bcOp
		switch code {
		case bcSGE, bcSLE:
			minLen = bcPort
			if left < minLen {
				return false
			}
		case bcJMP:
		default:
			return false
		}
		if no < minLen || no > left+4 || no&3 != 0 {
			return false
		}
		if no < left && !reachable[at+no] {
			return false
		}
		if yes < minLen || yes > left+4 || yes&3 != 0 {
			return false
		}
		at += yes
		left -= yes
	}
	return left == 0
}

// FuzzPortFilter checks every compiled program against the kernel's rules
// as written above: it passes the audit, and it accepts exactly the ports
// in the ranges (tested at and around every range end).
func FuzzPortFilter(f *testing.F) {
	f.Add([]byte{0x1f, 0x90, 0x1f, 0x90})
	f.Add([]byte{0x00, 0x01, 0xff, 0xff})
	f.Add([]byte{0x1f, 0x90, 0x1f, 0x95, 0x1f, 0x96, 0x1f, 0x99, 0x00, 0x50, 0x00, 0x50})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		// 64 ranges at most: checking every range end of a long input
		// against every range is quadratic, and the program's length
		// limit has its own test
		raw = raw[:min(len(raw), 4*64)]
		var rs []PortRange
		for i := 0; i+3 < len(raw); i += 4 {
			rs = append(rs, PortRange{binary.BigEndian.Uint16(raw[i:]), binary.BigEndian.Uint16(raw[i+2:])})
		}
		bc := portFilter(rs)
		if bc == nil {
			if len(mergeRanges(rs)) != 0 && len(mergeRanges(rs)) <= maxFilterRanges {
				t.Fatalf("%v: no program", rs)
			}
			return
		}
		if !auditFilter(bc) {
			t.Fatalf("%v: the program fails the kernel's audit: % x", rs, bc)
		}
		probe := []uint16{0, 1, 65534, 65535}
		for _, r := range rs {
			probe = append(probe, r.First-1, r.First, r.First+1, r.Last-1, r.Last, r.Last+1)
		}
		for _, p := range probe {
			if got, want := runFilter(bc, p), inRanges(p, rs); got != want {
				t.Fatalf("%v: port %d accepted %v, want %v", rs, p, got, want)
			}
		}
	})
}

// TestPortFilterLimit: up to maxFilterRanges ranges make a program the
// kernel accepts; past that there is no filter (the dump lists every
// port) rather than a program too long for its 16-bit jumps.
func TestPortFilterLimit(t *testing.T) {
	ranges := func(n int) []PortRange {
		rs := make([]PortRange, n)
		for i := range rs {
			rs[i] = PortRange{uint16(2 + 3*i), uint16(2 + 3*i)} // disjoint, not touching
		}
		return rs
	}
	bc := portFilter(ranges(maxFilterRanges))
	if bc == nil || !auditFilter(bc) {
		t.Fatalf("%d ranges: no program, or one the kernel refuses", maxFilterRanges)
	}
	if !runFilter(bc, 2+3*(maxFilterRanges-1)) || runFilter(bc, 3) {
		t.Error("the longest program accepts the wrong ports")
	}
	if bc := portFilter(ranges(maxFilterRanges + 1)); bc != nil {
		t.Errorf("%d ranges: a program of %d bytes, want none", maxFilterRanges+1, len(bc))
	}
	if bc := portFilter(nil); bc != nil {
		t.Error("no ranges: want no program")
	}
	// the kernel takes the longest program too
	if _, err := dumpAll(context.Background(), tcpListenOnly, true, portFilter(ranges(maxFilterRanges))); err != nil {
		t.Fatalf("the kernel refused the longest program: %v", err)
	}
}

// TestPortFilterSeeds runs the fuzz target's properties on many random
// range sets, so that a plain go test covers them too.
func TestPortFilterSeeds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var rs []PortRange
		for range 1 + rng.IntN(8) {
			a := uint16(rng.IntN(65536 - 40))
			rs = append(rs, PortRange{a, a + uint16(rng.IntN(40))})
		}
		bc := portFilter(rs)
		if bc == nil || !auditFilter(bc) {
			t.Fatalf("%v: no program, or one the kernel refuses", rs)
		}
		for range 50 {
			p := uint16(rng.IntN(65536))
			if len(rs) > 0 && rng.IntN(2) == 0 {
				r := rs[rng.IntN(len(rs))]
				p = r.First + uint16(rng.IntN(int(r.Last-r.First)+2))
			}
			if runFilter(bc, p) != inRanges(p, rs) {
				t.Fatalf("%v: port %d", rs, p)
			}
		}
	}
}
