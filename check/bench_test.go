package check

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// expanded is one service publishing the n ports up to 65535 as one
// expanded range, as compose gives it: a binding per port, one Entry.
func expanded(n int) []Binding {
	bs := make([]Binding, 0, n)
	for p := 65536 - n; p <= 65535; p++ {
		bs = append(bs, Binding{Service: "media", Published: uint16(p), Last: uint16(p), Target: uint32(p), Protocol: "udp", Replicas: 1, Entry: 1})
	}
	return bs
}

// BenchmarkFindRange is the check's own work on 1, 1k, 16k and 64k
// published ports of one range with a port held in it: Find, Merge (one
// finding per kind) and the plan's pick of a new window. Its cost must
// grow with the ports, not with their square.
func BenchmarkFindRange(b *testing.B) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:65535")
	if err != nil {
		b.Skipf("cannot hold udp 127.0.0.1:65535: %v", err)
	}
	defer c.Close()
	socks, err := sockets.ListListening(context.Background(), sockets.PortRange{First: 65535, Last: 65535})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 1000, 16384, 65535} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			in := Input{Bindings: expanded(n), Sockets: socks, Host: DefaultHost("linux")}
			for b.Loop() {
				fs := Merge(Find(in), &in)
				if len(fs) == 0 {
					b.Fatal("the held port was not found")
				}
				NewPicker(&in, nil).Pick(in.Bindings[0])
			}
		})
	}
}

// BenchmarkPickCrowded picks a free port above one where the next
// thousands are taken: held by real listeners the table lists, or known
// only to a bind probe (the table left empty). Each candidate is looked at
// once; a probe is made only for ports the table does not rule out.
func BenchmarkPickCrowded(b *testing.B) {
	const first, n = 20000, 5000
	var held []uint16
	for p := first + 1; p <= first+n; p++ {
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue // taken already: as good
		}
		defer l.Close()
		held = append(held, uint16(p))
	}
	if len(held) < n/2 {
		b.Skipf("only %d of %d ports could be held", len(held), n)
	}
	socks, err := sockets.ListListening(context.Background(), sockets.PortRange{First: first, Last: first + n})
	if err != nil {
		b.Fatal(err)
	}
	probe := func(proto string, addr netip.Addr, port uint16) bool {
		return sockets.Probe(proto, addr, port).Status == sockets.Free
	}
	want := Binding{Service: "web", HostIP: netip.MustParseAddr("127.0.0.1"), Published: first, Last: first, Target: 80, Protocol: "tcp", Replicas: 1}
	for _, c := range []struct {
		name  string
		socks []sockets.Socket
	}{{"table", socks}, {"probe-only", []sockets.Socket{}}} {
		b.Run(c.name, func(b *testing.B) {
			in := Input{Bindings: []Binding{want}, Sockets: c.socks, Host: DefaultHost("linux")}
			var got uint16
			for b.Loop() {
				var ok bool
				if got, ok = NewPicker(&in, probe).Pick(want); !ok {
					b.Fatal("no port")
				}
			}
			if got <= first+uint16(len(held))/2 {
				b.Fatalf("picked %d, inside the held block", got)
			}
			b.ReportMetric(float64(len(held)), "held")
		})
	}
}
