//go:build linux

package realengine

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
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
		c, err = boundOnly(addr, kind == "bound4reuse")
	case "client4":
		c, err = clientFrom(addr)
	default:
		t.Fatalf("unknown holder kind %q", kind)
	}
	if err != nil {
		t.Fatalf("holding %s: %v", spec, err)
	}
	t.Cleanup(func() { c.Close() })
}

type fdCloser int

func (f fdCloser) Close() error { return unix.Close(int(f)) }

func boundOnly(addr string, reuse bool) (io.Closer, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return fdCloser(fd), nil
}

type closers []io.Closer

func (cs closers) Close() error {
	for _, c := range cs {
		c.Close()
	}
	return nil
}

// clientFrom opens a connection whose local end is addr, then closes the
// listener it reached: a client socket on the port, no listener.
func clientFrom(addr string) (io.Closer, error) {
	local, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	d := net.Dialer{LocalAddr: local}
	c, err := d.Dial("tcp4", l.Addr().String())
	if err != nil {
		return nil, err
	}
	s, err := l.Accept()
	if err != nil {
		c.Close()
		return nil, err
	}
	return closers{c, s}, nil
}

// ports hands out blocks of consecutive host ports that are free on every
// address family and protocol, below the ephemeral range, one block per
// scenario so that scenarios can run side by side.
type ports struct {
	mu   sync.Mutex
	next int
}

var portPool = &ports{next: 20000 + 100*rand.IntN(60)}

// blockStride is how far apart the scenarios' blocks of ports start.
const blockStride = 40

// block returns n consecutive free ports.
func (p *ports) block(t *testing.T, n int) []int {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.next+n < 32000 {
		first := p.next
		// A scenario's --fix moves its ports to the nearest free ones
		// above them: the room up to the next block is for that, so that
		// a fixed project never takes a port of a scenario running beside
		// it.
		p.next += blockStride
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
	t.Fatal("no free block of ports left below 32000")
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
