package sockets

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// netnsEnv marks a run of this test binary inside a fresh network namespace
// (TestListCleanNetns), where the tests' sockets are the only ones and the
// inventories must equal them exactly.
const netnsEnv = "SOCKETS_TEST_NETNS"

// want is a socket a test opened and expects an inventory to report.
type want struct {
	name      string
	sock      Socket // as netlink must report it, V6Only included
	boundOnly bool   // not listening: netlink sees it, /proc/net cannot
}

// openSockets opens one socket of every kind that matters, each on its own
// port chosen by the kernel, and returns what netlink must say about them.
func openSockets(t testing.TB) []want {
	t.Helper()
	var ws []want
	uid := uint32(os.Getuid())
	ctx := context.Background()
	addTCP := func(name, network, addr string, v6only int, wantV6 V6Only) {
		lc := net.ListenConfig{}
		if v6only >= 0 {
			lc.Control = v6OnlyControl(v6only)
		}
		l, err := lc.Listen(ctx, network, addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { l.Close() })
		ap := l.Addr().(*net.TCPAddr).AddrPort()
		ws = append(ws, want{name: name, sock: Socket{
			Protocol: "tcp", Addr: ap.Addr(), Port: ap.Port(), State: Listen, V6Only: wantV6,
			Inode: fdInode(t, l.(*net.TCPListener)), UID: uid, UIDKnown: true,
		}})
	}
	addUDP := func(name, network, addr string, v6only int, wantV6 V6Only) {
		lc := net.ListenConfig{}
		if v6only >= 0 {
			lc.Control = v6OnlyControl(v6only)
		}
		c, err := lc.ListenPacket(ctx, network, addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { c.Close() })
		ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
		ws = append(ws, want{name: name, sock: Socket{
			Protocol: "udp", Addr: ap.Addr(), Port: ap.Port(), State: Datagram, V6Only: wantV6,
			Inode: fdInode(t, c.(*net.UDPConn)), UID: uid, UIDKnown: true,
		}})
	}
	// addRaw opens a TCP socket with the raw syscalls, for what Go's net
	// refuses (an IPv4-mapped bind on tcp6) or cannot do (bind without
	// listen).
	addRaw := func(name string, addr netip.Addr, listen bool, wantV6 V6Only) {
		fam := unix.AF_INET
		var sa unix.Sockaddr
		if addr.Is4() {
			sa = &unix.SockaddrInet4{Addr: addr.As4()}
		} else {
			fam, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: addr.As16()}
		}
		fd, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if addr.Is6() {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := unix.Bind(fd, sa); err != nil {
			t.Fatalf("%s: bind: %v", name, err)
		}
		got, err := unix.Getsockname(fd)
		if err != nil {
			t.Fatal(err)
		}
		var port int
		switch sa := got.(type) {
		case *unix.SockaddrInet4:
			port = sa.Port
		case *unix.SockaddrInet6:
			port = sa.Port
		}
		state := Bound
		if listen {
			if err := unix.Listen(fd, 8); err != nil {
				t.Fatal(err)
			}
			state = Listen
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, want{name: name, boundOnly: !listen, sock: Socket{
			Protocol: "tcp", Addr: addr, Port: uint16(port), State: state, V6Only: wantV6,
			Inode: st.Ino, UID: uid, UIDKnown: true,
		}})
	}

	addTCP("tcp 127.0.0.1", "tcp4", "127.0.0.1:0", -1, V6OnlyUnknown)
	addTCP("tcp 0.0.0.0", "tcp4", "0.0.0.0:0", -1, V6OnlyUnknown)
	addTCP("tcp [::1] v6only=1", "tcp6", "[::1]:0", 1, V6OnlyOn)
	addTCP("tcp [::] v6only=1", "tcp6", "[::]:0", 1, V6OnlyOn)
	addTCP("tcp [::] v6only=0", "tcp6", "[::]:0", 0, V6OnlyOff)
	addRaw("tcp [::ffff:127.0.0.1] v6only=0", netip.MustParseAddr("::ffff:127.0.0.1"), true, V6OnlyOff)
	addUDP("udp 127.0.0.1", "udp4", "127.0.0.1:0", -1, V6OnlyUnknown)
	addUDP("udp 0.0.0.0", "udp4", "0.0.0.0:0", -1, V6OnlyUnknown)
	addUDP("udp [::1] v6only=1", "udp6", "[::1]:0", 1, V6OnlyOn)
	addUDP("udp [::] v6only=0", "udp6", "[::]:0", 0, V6OnlyOff)
	addRaw("tcp bound-only 127.0.0.1", netip.MustParseAddr("127.0.0.1"), false, V6OnlyUnknown)
	// Set to 0 before the bind, yet the kernel reports 1: binding a
	// specific, non-mapped IPv6 address sets ipv6only (__inet6_bind), which
	// is right, since such a socket cannot hold an IPv4 address.
	addRaw("tcp bound-only [::1]", netip.MustParseAddr("::1"), false, V6OnlyOn)

	if os.Geteuid() == 0 {
		// A socket created under another fsuid carries that uid: the
		// kernel's sk_uid, what the report falls back to without an owner.
		runtime.LockOSThread()
		prev, err := unix.SetfsuidRetUid(65534)
		if err != nil {
			runtime.UnlockOSThread()
			t.Fatal(err)
		}
		l, lerr := net.Listen("tcp4", "127.0.0.1:0")
		unix.Setfsuid(prev)
		runtime.UnlockOSThread()
		if lerr != nil {
			t.Fatal(lerr)
		}
		t.Cleanup(func() { l.Close() })
		ap := l.Addr().(*net.TCPAddr).AddrPort()
		ws = append(ws, want{name: "tcp 127.0.0.1 uid 65534", sock: Socket{
			Protocol: "tcp", Addr: ap.Addr(), Port: ap.Port(), State: Listen,
			Inode: fdInode(t, l.(*net.TCPListener)), UID: 65534, UIDKnown: true,
		}})
	}
	return ws
}

// boundOnlySupported reports whether this kernel dumps bound-only TCP
// sockets (TCP_BOUND_INACTIVE, Linux 6.8).
func boundOnlySupported(t *testing.T) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	for i, part := range strings.SplitN(unix.ByteSliceToString(u.Release[:]), ".", 3)[:2] {
		n := 0
		for _, c := range part {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		if i == 0 {
			major = n
		} else {
			minor = n
		}
	}
	return major > 6 || major == 6 && minor >= 8
}

// checkInventory asserts that got holds every wanted socket, as
// adjust says the source reports it (nil: not at all). In a clean network
// namespace it also asserts that got holds nothing else.
func checkInventory(t *testing.T, source string, got []Socket, ws []want, adjust func(want) *Socket) {
	t.Helper()
	expected := 0
	for _, w := range ws {
		exp := adjust(w)
		ref := w.sock
		if exp != nil {
			ref = *exp
		}
		var matches []Socket
		for _, s := range got {
			if s.Protocol == w.sock.Protocol && s.Port == w.sock.Port && sameHolder(s, ref) {
				matches = append(matches, s)
			}
		}
		if exp == nil {
			if len(matches) != 0 {
				t.Errorf("%s: %s: listed %+v, want it absent", source, w.name, matches)
			}
			continue
		}
		expected++
		if len(matches) != 1 || matches[0] != *exp {
			t.Errorf("%s: %s:\n got %+v\nwant [%+v]", source, w.name, matches, *exp)
		}
	}
	if os.Getenv(netnsEnv) == "1" && len(got) != expected {
		t.Errorf("%s in a clean network namespace: %d sockets, want exactly %d: %+v", source, len(got), expected, got)
	}
}

// sameHolder tells a test's own socket from another process's socket on
// the same port (on a busy host, the port the kernel gave a [::1] socket
// may be held on 127.0.0.1 by someone else): by inode where the table has
// inodes, by pid where it has pids (the test's sockets are its own).
func sameHolder(s, want Socket) bool {
	switch {
	case s.Inode != 0 && want.Inode != 0:
		return s.Inode == want.Inode
	case s.PID != 0 && want.PID != 0:
		return s.PID == want.PID
	case s.PID != 0:
		return s.PID == int32(os.Getpid())
	}
	return true
}

func TestListNetlink(t *testing.T) {
	ws := openSockets(t)
	got, err := ListNetlink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bound := boundOnlySupported(t)
	checkInventory(t, "ListNetlink", got, ws, func(w want) *Socket {
		if w.boundOnly && !bound {
			t.Logf("kernel < 6.8: %s cannot be dumped", w.name)
			return nil
		}
		return &w.sock
	})
	// List is netlink whenever netlink works.
	all, err := List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkInventory(t, "List", all, ws, func(w want) *Socket {
		if w.boundOnly && !bound {
			return nil
		}
		return &w.sock
	})
}

// TestNetlinkRequestsAgree checks that the one-pass TCPDIAG_GETSOCK dump
// ListNetlink uses returns what the per-family requests it falls back to
// return, for the tests' sockets.
func TestNetlinkRequestsAgree(t *testing.T) {
	ws := openSockets(t)
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Skipf("no netlink sock_diag: %v", err)
	}
	defer unix.Close(fd)
	ctx := context.Background()
	buf := make([]byte, recvBufLen)
	compat, err := dumpDiag(ctx, fd, buf, compatRequest(1, tcpStates), 1, unix.IPPROTO_TCP, nil)
	if err != nil {
		t.Fatal(err)
	}
	var perFamily []Socket
	for i, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		seq := uint32(2 + i)
		part, err := dumpDiag(ctx, fd, buf, diagRequest(seq, family, unix.IPPROTO_TCP, tcpStates), seq, unix.IPPROTO_TCP, nil)
		if err != nil {
			t.Fatal(err)
		}
		perFamily = append(perFamily, part...)
	}
	mine := func(socks []Socket) []Socket {
		var out []Socket
		for _, s := range socks {
			for _, w := range ws {
				if w.sock == s {
					out = append(out, s)
				}
			}
		}
		slices.SortFunc(out, func(a, b Socket) int { return int(a.Inode) - int(b.Inode) })
		return out
	}
	a, b := mine(compat), mine(perFamily)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("TCPDIAG_GETSOCK: %+v\nper family: %+v", a, b)
	}
}

func TestListProcNet(t *testing.T) {
	ws := openSockets(t)
	got, err := ListProcNet(context.Background(), "/proc")
	if err != nil {
		t.Fatal(err)
	}
	checkInventory(t, "ListProcNet", got, ws, func(w want) *Socket {
		if w.boundOnly {
			// The documented limitation: /proc/net/tcp prints no row for
			// a TCP socket that is bound but not listening.
			return nil
		}
		s := w.sock
		s.V6Only = V6OnlyUnknown // /proc/net has no such column
		return &s
	})
}

func TestListProcNetMissingFiles(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(root+"/net", 0o755); err != nil {
		t.Fatal(err)
	}
	const tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1\n"
	if err := os.WriteFile(root+"/net/tcp", []byte(tcp), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ListProcNet(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{{Protocol: "tcp", Addr: netip.MustParseAddr("127.0.0.1"), Port: 8080, State: Listen, Inode: 4242, UID: 1000, UIDKnown: true}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if err := os.WriteFile(root+"/net/udp", []byte("header\ngarbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListProcNet(context.Background(), root); err == nil {
		t.Error("a malformed row was not reported")
	}
}

func TestListGopsutil(t *testing.T) {
	ws := openSockets(t)
	got, err := listGopsutil(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pid := int32(os.Getpid())
	checkInventory(t, "ListGopsutil", got, ws, func(w want) *Socket {
		if w.boundOnly {
			return nil // it reads /proc/net too
		}
		s := w.sock
		// gopsutil gives the PID and the process's uid, not the inode or
		// V6ONLY.
		s.V6Only, s.Inode, s.PID = V6OnlyUnknown, 0, pid
		s.UID = uint32(os.Getuid())
		return &s
	})
}

// TestListCleanNetns runs the inventory tests again inside a new, empty
// network namespace, where they also check that nothing but the tests'
// own sockets is listed: no duplicates, no stray rows.
func TestListCleanNetns(t *testing.T) {
	if os.Getenv(netnsEnv) == "1" {
		t.Skip("already inside the namespace")
	}
	if os.Geteuid() != 0 {
		t.Skip("unshare -n needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare binary")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unshare, "-n", "--", exe, "-test.run", "^(TestListNetlink|TestListProcNet|TestListGopsutil|TestProbe.*)$", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside unshare -n:\n%s", out)
	if err != nil {
		t.Fatalf("tests inside a clean network namespace failed: %v", err)
	}
}

// setupNetns brings the loopback interface up when running inside a fresh
// network namespace, where it starts down.
func setupNetns() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return errors.Join(errors.New("bring lo up"), err)
	}
	return nil
}
