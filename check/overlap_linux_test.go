package check

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// addrCase is one address of the differential matrix.
type addrCase struct {
	name   string
	addr   netip.Addr
	v6only bool
}

var matrix = []addrCase{
	{"0.0.0.0", netip.MustParseAddr("0.0.0.0"), false},
	{"127.0.0.1", netip.MustParseAddr("127.0.0.1"), false},
	{"127.0.0.2", netip.MustParseAddr("127.0.0.2"), false},
	{"[::] dual-stack", netip.MustParseAddr("::"), false},
	{"[::] v6only", netip.MustParseAddr("::"), true},
	{"[::1]", netip.MustParseAddr("::1"), true},
	{"[::ffff:127.0.0.1]", netip.MustParseAddr("::ffff:127.0.0.1"), false},
}

// rawBind binds a socket exactly as asked (family, V6ONLY, SO_REUSEADDR)
// with no help from the net package, which would pick dual-stack for us.
func rawBind(proto string, a addrCase, port int, reuse, listen bool) (int, error) {
	typ := unix.SOCK_STREAM
	if proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fam := unix.AF_INET
	if a.addr.Is6() {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	var sa unix.Sockaddr
	if fam == unix.AF_INET6 {
		v := 0
		if a.v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			unix.Close(fd)
			return -1, err
		}
		sa = &unix.SockaddrInet6{Port: port, Addr: a.addr.As16()}
	} else {
		sa = &unix.SockaddrInet4{Port: port, Addr: a.addr.As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if listen {
		if err := unix.Listen(fd, 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// freePort finds a port that no socket of proto holds on any address, by
// binding it dual-stack (which covers every address in the matrix).
func freePort(t *testing.T, proto string) int {
	t.Helper()
	for range 200 {
		p := 20000 + rand.IntN(10000)
		fd, err := rawBind(proto, addrCase{addr: netip.IPv6Unspecified()}, p, false, false)
		if err == nil {
			unix.Close(fd)
			return p
		}
	}
	t.Fatal("no free port found")
	return 0
}

// TestOverlapMatchesKernel proves the overlap rules on Linux: for every
// pair of (existing socket, new bind) addresses and both protocols, the
// rule's verdict equals what a real bind() does. The existing socket is
// an application's (TCP listening with SO_REUSEADDR as Go and Node set it;
// UDP without options); the new bind is the engine's (SO_REUSEADDR).
func TestOverlapMatchesKernel(t *testing.T) {
	if _, err := rawBind("tcp", addrCase{addr: netip.IPv6Loopback(), v6only: true}, 0, false, false); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	for _, proto := range []string{"tcp", "udp"} {
		for _, old := range matrix {
			for _, nu := range matrix {
				t.Run(fmt.Sprintf("%s/%s_then_%s", proto, old.name, nu.name), func(t *testing.T) {
					port := freePort(t, proto)
					ofd, err := rawBind(proto, old, port, proto == "tcp", proto == "tcp")
					if err != nil {
						t.Fatalf("existing bind: %v", err)
					}
					defer unix.Close(ofd)
					nfd, err := rawBind(proto, nu, port, true, false)
					if err == nil {
						unix.Close(nfd)
					} else if !errors.Is(err, unix.EADDRINUSE) {
						t.Fatalf("new bind: %v", err)
					}
					kernel := Free
					if err != nil {
						kernel = InUse
					}
					v6 := sockets.V6OnlyOff
					if old.v6only {
						v6 = sockets.V6OnlyOn
					}
					s := sockets.Socket{Protocol: proto, Addr: old.addr, Port: uint16(port), V6Only: v6}
					got := overlap(socketEndpoint(s), endpoint{addr: nu.addr, v6only: nu.v6only}, "linux")
					if got != kernel {
						t.Errorf("rule says %v, bind() says %v", got, kernel)
					}
				})
			}
		}
	}
}
