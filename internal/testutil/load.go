package testutil

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
)

// LoadSize is the benchmarks' host load, listeners and established
// sockets, unless SOCKETS_BENCH_LISTENERS and SOCKETS_BENCH_CONNS say
// otherwise (0 and 0 for a quick run). Connections need a listener.
func LoadSize(listeners, conns int) (int, int) {
	if v, ok := os.LookupEnv("SOCKETS_BENCH_LISTENERS"); ok {
		listeners, _ = strconv.Atoi(v)
	}
	if v, ok := os.LookupEnv("SOCKETS_BENCH_CONNS"); ok {
		conns, _ = strconv.Atoi(v)
	}
	if conns > 0 && listeners == 0 {
		listeners = 1
	}
	return listeners, conns
}

// OpenLoad opens listeners TCP listeners (half on 127.0.0.1, half on
// [::1]) and conns established loopback sockets (conns/2 connections,
// both ends held). It returns the listeners and everything to close; on
// an error it closes what it opened.
func OpenLoad(listeners, conns int) (ls []net.Listener, held []io.Closer, err error) {
	defer func() {
		if err != nil {
			for _, c := range held {
				c.Close()
			}
		}
	}()
	for i := range listeners {
		network, addr := "tcp4", "127.0.0.1:0"
		if i%2 == 1 {
			network, addr = "tcp6", "[::1]:0"
		}
		l, err := net.Listen(network, addr)
		if err != nil {
			return nil, held, fmt.Errorf("load: listener %d: %w", i, err)
		}
		ls = append(ls, l)
		held = append(held, l)
	}
	for i := range conns / 2 {
		l := ls[i%len(ls)]
		c, err := net.Dial(l.Addr().Network(), l.Addr().String())
		if err != nil {
			return nil, held, fmt.Errorf("load: connection %d: %w (the open-file limit must allow %d descriptors)", i, err, listeners+conns)
		}
		held = append(held, c)
		s, err := l.Accept()
		if err != nil {
			return nil, held, fmt.Errorf("load: accept %d: %w", i, err)
		}
		held = append(held, s)
	}
	return ls, held, nil
}

// HoldLoad opens the benchmarks' host load (LoadSize) in the test's own
// process, closed when the test ends. A process started by the test sees
// it in the host's socket table like any other.
func HoldLoad(tb testing.TB, listeners, conns int) {
	tb.Helper()
	listeners, conns = LoadSize(listeners, conns)
	_, held, err := OpenLoad(listeners, conns)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	tb.Logf("load: %d listeners, %d established sockets, held by pid %d", listeners, conns/2*2, os.Getpid())
}
