package sockets

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
)

var (
	lo4  = netip.MustParseAddr("127.0.0.1")
	any4 = netip.IPv4Unspecified()
	lo6  = netip.MustParseAddr("::1")
	any6 = netip.IPv6Unspecified()
)

// quietPort returns a port that no socket holds, TCP or UDP, on any
// address: the probes that must find a port free would otherwise depend
// on what else the host runs (another process on [::1] with the port the
// kernel gave the test on 127.0.0.1).
func quietPort(t *testing.T) uint16 {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", ":0") // dual-stack [::]: every address
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).AddrPort().Port()
		u, err := net.ListenPacket("udp", net.JoinHostPort("", strconv.Itoa(int(port))))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP after 100 tries")
	return 0
}

// listenOn opens a TCP listener on network/addr and returns its port; port
// 0 in addr means a quiet port.
func listenOn(t *testing.T, lc net.ListenConfig, network, addr string) uint16 {
	t.Helper()
	if host, port, err := net.SplitHostPort(addr); err == nil && port == "0" {
		addr = net.JoinHostPort(host, strconv.Itoa(int(quietPort(t))))
	}
	l, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).AddrPort().Port()
}

func wantProbe(t *testing.T, protocol string, addr netip.Addr, port uint16, want ProbeStatus) {
	t.Helper()
	got := Probe(protocol, addr, port)
	if got.Status != want {
		t.Errorf("Probe(%s, %s, %d) = %s (%v), want %s", protocol, addr, port, got.Status, got.Err, want)
	}
	if (got.Err == nil) != (got.Status == Free) {
		t.Errorf("Probe(%s, %s, %d): status %s with error %v", protocol, addr, port, got.Status, got.Err)
	}
}

func TestProbeTCP4Listener(t *testing.T) {
	port := listenOn(t, net.ListenConfig{}, "tcp4", "127.0.0.1:0")
	wantProbe(t, "tcp", lo4, port, Busy)
	wantProbe(t, "tcp", any4, port, Busy)
	wantProbe(t, "tcp", netip.MustParseAddr("::ffff:127.0.0.1"), port, Busy) // probed as IPv4
	// IPv6 probes are V6ONLY, like Docker's [::] bind: an IPv4 listener
	// does not stand in their way.
	wantProbe(t, "tcp", any6, port, Free)
	wantProbe(t, "tcp", lo6, port, Free)
	// Another protocol, same port.
	wantProbe(t, "udp", lo4, port, Free)
}

func TestProbeDualStackListener(t *testing.T) {
	port := listenOn(t, net.ListenConfig{}, "tcp", ":0") // Go: dual-stack [::]
	wantProbe(t, "tcp", lo4, port, Busy)
	wantProbe(t, "tcp", any4, port, Busy)
	wantProbe(t, "tcp", any6, port, Busy)
	wantProbe(t, "tcp", lo6, port, Busy)
}

func TestProbeV6OnlyListener(t *testing.T) {
	port := listenOn(t, net.ListenConfig{}, "tcp6", "[::1]:0")
	wantProbe(t, "tcp", lo6, port, Busy)
	wantProbe(t, "tcp", any6, port, Busy)
	wantProbe(t, "tcp", lo4, port, Free)
	wantProbe(t, "tcp", any4, port, Free)
}

func TestProbeUDP(t *testing.T) {
	c, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(quietPort(t)))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	wantProbe(t, "udp", lo4, port, Busy)
	wantProbe(t, "udp", any4, port, Busy)
	wantProbe(t, "udp", any6, port, Free)
	wantProbe(t, "tcp", lo4, port, Free)
}

func TestProbeFree(t *testing.T) {
	// A port the kernel just handed out and that was closed again.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).AddrPort().Port()
	l.Close()
	wantProbe(t, "tcp", lo4, port, Free)
	// The probe itself leaves nothing behind.
	wantProbe(t, "tcp", lo4, port, Free)
}

func TestProbeNotHere(t *testing.T) {
	// Documentation ranges (RFC 5737, RFC 3849) are on no interface.
	wantProbe(t, "tcp", netip.MustParseAddr("192.0.2.1"), 8080, NotHere)
	wantProbe(t, "udp", netip.MustParseAddr("192.0.2.1"), 8080, NotHere)
	wantProbe(t, "tcp", netip.MustParseAddr("2001:db8::1"), 8080, NotHere)
}

func TestProbeBadInput(t *testing.T) {
	wantProbe(t, "sctp", lo4, 8080, ProbeError)
	wantProbe(t, "tcp", netip.Addr{}, 8080, ProbeError)
}
