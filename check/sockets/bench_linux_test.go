package sockets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// The benchmarks run under a load held by a helper process: listeners (half
// on 127.0.0.1, half on [::1]) and established loopback sockets. The default
// is the load of the README's figures; set SOCKETS_BENCH_LISTENERS and
// SOCKETS_BENCH_CONNS (e.g. 0 and 0) for a quick run.
func startLoad(b *testing.B) (port uint16) {
	b.Helper()
	listeners, conns := testutil.LoadSize(2000, 10000)
	h := startHelper(b, "load", nil, []string{
		fmt.Sprintf("SOCKETS_LOAD_LISTENERS=%d", listeners),
		fmt.Sprintf("SOCKETS_LOAD_CONNS=%d", conns),
	})
	f := strings.Fields(h.line)
	if len(f) != 2 || f[0] != "ready" {
		b.Fatalf("load helper printed %q", h.line)
	}
	p, _ := strconv.Atoi(f[1])
	b.Logf("load: %d listeners, %d established sockets, pid %d", listeners, conns, h.cmd.Process.Pid)
	return uint16(p)
}

func benchList(b *testing.B, list func(context.Context) ([]Socket, error)) {
	startLoad(b)
	ctx := context.Background()
	var n int
	for b.Loop() {
		socks, err := list(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n = len(socks)
	}
	b.ReportMetric(float64(n), "sockets")
}

func BenchmarkListNetlink(b *testing.B) { benchList(b, ListNetlink) }

// BenchmarkListListening is the check's hot path: listeners and UDP only.
func BenchmarkListListening(b *testing.B) {
	benchList(b, func(ctx context.Context) ([]Socket, error) { return ListListening(ctx) })
}

// BenchmarkListListeningPorts is what a check asks for: the listeners and
// UDP sockets on the project's ports (twenty here), which the kernel
// filters.
func BenchmarkListListeningPorts(b *testing.B) {
	ports := make([]PortRange, 20)
	for i := range ports {
		p := uint16(18000 + 7*i)
		ports[i] = PortRange{p, p}
	}
	benchList(b, func(ctx context.Context) ([]Socket, error) { return ListListening(ctx, ports...) })
}

func BenchmarkListProcNet(b *testing.B) {
	benchList(b, func(ctx context.Context) ([]Socket, error) { return ListProcNet(ctx, "/proc") })
}

func BenchmarkListGopsutil(b *testing.B) { benchList(b, listGopsutil) }

// findTCP returns the TCP socket on port from a fresh netlink inventory.
func findTCP(b *testing.B, port uint16) Socket {
	socks, err := ListNetlink(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range socks {
		// 127.0.0.1, where both helpers listen: the load's [::1]
		// listeners may have the same port numbers
		if s.Protocol == "tcp" && s.Port == port && s.State == Listen && s.Addr == lo4 {
			return s
		}
	}
	b.Fatalf("no TCP listener on port %d", port)
	return Socket{}
}

// BenchmarkOwners looks up the owner of one conflicting socket: held by a
// small process (a dev server: the usual case), or by the load process
// itself with its thousands of descriptors (the worst case: every one of
// its fd links may be read).
func BenchmarkOwners(b *testing.B) {
	loadPort := startLoad(b)
	h := startHelper(b, "hold", nil, nil, "hold")
	holdPort, _ := strconv.Atoi(strings.Fields(h.line)[0])
	for _, c := range []struct {
		name string
		port uint16
		pid  int
	}{
		{"small-holder", uint16(holdPort), h.cmd.Process.Pid},
		{"loaded-holder", loadPort, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := findTCP(b, c.port)
			ctx := context.Background()
			for b.Loop() {
				owners, err := Owners(ctx, []Socket{s})
				if err != nil {
					b.Fatal(err)
				}
				o, ok := owners[s]
				if !ok || c.pid != 0 && int(o.PID) != c.pid {
					b.Fatalf("owner %+v, %v", o, ok)
				}
			}
		})
	}
}

// BenchmarkInventoryAndOwner is what a check costs when one port conflicts:
// ListListening on the project's port (the hot path), then the owner of
// the conflicting socket (held by a small process).
func BenchmarkInventoryAndOwner(b *testing.B) {
	startLoad(b)
	h := startHelper(b, "hold", nil, nil, "hold")
	holdPort, _ := strconv.Atoi(strings.Fields(h.line)[0])
	ctx := context.Background()
	for b.Loop() {
		socks, err := ListListening(ctx, PortRange{uint16(holdPort), uint16(holdPort)})
		if err != nil {
			b.Fatal(err)
		}
		var conflict []Socket
		for _, s := range socks {
			if s.Protocol == "tcp" && int(s.Port) == holdPort {
				conflict = append(conflict, s)
			}
		}
		owners, err := Owners(ctx, conflict)
		if err != nil || len(conflict) != 1 || int(owners[conflict[0]].PID) != h.cmd.Process.Pid {
			b.Fatalf("conflict %+v, owners %+v, err %v", conflict, owners, err)
		}
	}
}
