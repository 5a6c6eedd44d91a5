//go:build linux

package realengine

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// hold opens, in this process, the host socket that spec describes and
// closes it when the test ends. spec is "KIND ADDR":
//
//	tcp4, tcp6      a listener (tcp6 is IPV6_V6ONLY, as Go opens it)
//	tcp             a dual-stack listener on [::]
//	udp4, udp6      a bound UDP socket
//	bound4          a TCP socket bound to ADDR, not listening, without SO_REUSEADDR
//	bound4reuse     the same with SO_REUSEADDR
//	client4         an established connection whose local end is ADDR
func hold(t *testing.T, spec string) {
	t.Helper()
	kind, addr, _ := strings.Cut(spec, " ")
	var c io.Closer
	var err error
	switch kind {
	case "tcp4", "tcp6", "tcp":
		c, err = net.Listen(kind, addr)
	case "udp4", "udp6":
		c, err = net.ListenPacket(kind, addr)
	case "bound4", "bound4reuse":
		c, err = testutil.BoundOnly(addr, kind == "bound4reuse")
	case "client4":
		c, err = testutil.ClientFrom(addr)
	default:
		t.Fatalf("unknown holder kind %q", kind)
	}
	if err != nil {
		t.Fatalf("holding %s: %v", spec, err)
	}
	t.Cleanup(func() { c.Close() })
}

// ports hands out blocks of consecutive host ports that are free on every
// address family and protocol, in [lo, hi], one block per scenario so that
// scenarios can run side by side; past hi it starts again at lo (the
// blocks handed out before are free again by then, or skipped).
type ports struct {
	mu     sync.Mutex
	next   int
	lo, hi int
	// stride is how far apart blocks start: a scenario's --fix moves its
	// ports to the nearest free ones above them, and the room up to the
	// next block is for that, so that a fixed project never takes a port
	// of a scenario running beside it.
	stride int
}

// portPool serves the Docker scenarios, below the ephemeral range. It
// starts at any port, not on a grid: an engine before API 1.46 keeps its
// place in each host range (by its first and last port) for as long as it
// runs, so a range scenario that reused a range an earlier run of the
// suite brought up, on the same dockerd, would find the engine past the
// range's first port and up succeeding where a fresh engine fails.
var portPool = &ports{next: 20000 + rand.IntN(9000), lo: 20000, hi: 31999, stride: 40}

// block returns n consecutive free ports.
func (p *ports) block(t *testing.T, n int) []int {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for tries := 0; tries < 400; tries++ {
		if p.next+n-1 > p.hi {
			p.next = p.lo
		}
		first := p.next
		p.next += max(p.stride, n+1)
		ok := true
		for port := first; port < first+n && ok; port++ {
			ok = free(port)
		}
		if ok {
			out := make([]int, n)
			for i := range out {
				out[i] = first + i
			}
			return out
		}
	}
	t.Fatalf("no free block of %d ports left in %d-%d", n, p.lo, p.hi)
	return nil
}

// free reports whether port can be bound on both wildcards, TCP and UDP.
func free(port int) bool {
	for _, n := range []struct{ family, typ int }{
		{unix.AF_INET, unix.SOCK_STREAM}, {unix.AF_INET6, unix.SOCK_STREAM},
		{unix.AF_INET, unix.SOCK_DGRAM}, {unix.AF_INET6, unix.SOCK_DGRAM},
	} {
		fd, err := unix.Socket(n.family, n.typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return false
		}
		var sa unix.Sockaddr = &unix.SockaddrInet4{Port: port}
		if n.family == unix.AF_INET6 {
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
			sa = &unix.SockaddrInet6{Port: port}
		}
		err = unix.Bind(fd, sa)
		unix.Close(fd)
		if err != nil {
			return false
		}
	}
	return true
}

// replacer turns {p0}..{pN} in a scenario's text into its ports.
func replacer(ps []int) *strings.Replacer {
	var pairs []string
	for i, p := range ps {
		pairs = append(pairs, fmt.Sprintf("{p%d}", i), fmt.Sprint(p))
	}
	return strings.NewReplacer(pairs...)
}
