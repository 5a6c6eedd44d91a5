package sockets

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListSplit: ListListening and ListBound divide ListNetlink between
// them: listeners and UDP in the first, bound-only TCP sockets in the
// second, each seen by exactly one.
func TestListSplit(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lport := uint16(l.Addr().(*net.TCPAddr).Port)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	bport := uint16(sa.(*unix.SockaddrInet4).Port)
	loop := netip.MustParseAddr("127.0.0.1")
	has := func(socks []Socket, port uint16, st State) bool {
		for _, s := range socks {
			if s.Protocol == "tcp" && s.Addr == loop && s.Port == port && s.State == st {
				return true
			}
		}
		return false
	}
	ctx := context.Background()
	full, err := ListNetlink(ctx)
	if err != nil {
		t.Skipf("no netlink sock_diag here: %v", err)
	}
	listening, err := ListListening(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := ListBound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !has(listening, lport, Listen) || has(bound, lport, Listen) {
		t.Errorf("the listener must be in ListListening only")
	}
	if !has(full, bport, Bound) {
		t.Skip("this kernel does not report bound-only sockets (Linux < 6.8)")
	}
	if has(listening, bport, Bound) || !has(bound, bport, Bound) {
		t.Errorf("the bound-only socket must be in ListBound only")
	}
}
