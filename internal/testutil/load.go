package testutil

import (
	"io"
	"net"
	"os"
	"strconv"
	"testing"
)

// HoldLoad opens the benchmarks' host load in the test's own process:
// listeners TCP listeners (half on 127.0.0.1, half on [::1]) and conns
// established loopback sockets (conns/2 connections, both ends held), all
// closed when the test ends. A process started by the test sees them in
// the host's socket table like any other. SOCKETS_BENCH_LISTENERS and
// SOCKETS_BENCH_CONNS override the numbers (0 and 0 for a quick run).
func HoldLoad(tb testing.TB, listeners, conns int) {
	tb.Helper()
	if v, ok := os.LookupEnv("SOCKETS_BENCH_LISTENERS"); ok {
		listeners, _ = strconv.Atoi(v)
	}
	if v, ok := os.LookupEnv("SOCKETS_BENCH_CONNS"); ok {
		conns, _ = strconv.Atoi(v)
	}
	if conns > 0 && listeners == 0 {
		listeners = 1
	}
	var held []io.Closer
	tb.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	var ls []net.Listener
	for i := range listeners {
		network, addr := "tcp4", "127.0.0.1:0"
		if i%2 == 1 {
			network, addr = "tcp6", "[::1]:0"
		}
		l, err := net.Listen(network, addr)
		if err != nil {
			tb.Fatalf("load: listener %d: %v", i, err)
		}
		ls = append(ls, l)
		held = append(held, l)
	}
	for i := range conns / 2 {
		l := ls[i%len(ls)]
		c, err := net.Dial(l.Addr().Network(), l.Addr().String())
		if err != nil {
			tb.Fatalf("load: connection %d: %v (the open-file limit must allow %d descriptors)", i, err, listeners+conns)
		}
		held = append(held, c)
		s, err := l.Accept()
		if err != nil {
			tb.Fatalf("load: accept %d: %v", i, err)
		}
		held = append(held, s)
	}
	tb.Logf("load: %d listeners, %d established sockets, held by pid %d", listeners, conns/2*2, os.Getpid())
}
