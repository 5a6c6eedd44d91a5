package sockets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// rawDiagDump runs one sock_diag dump and returns its datagrams as the
// kernel sent them: real seeds for the parser's fuzz test.
func rawDiagDump(tb testing.TB, seq uint32, family, proto uint8, states uint32) [][]byte {
	tb.Helper()
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		tb.Skipf("no netlink sock_diag: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, diagRequest(seq, family, proto, states), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	buf := make([]byte, recvBufLen)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, bytes.Clone(buf[:n]))
		if _, done, _ := parseDiagMessages(buf[:n], seq, proto); done {
			return out
		}
	}
}

// TestParseDiagRealReplies checks the parser against what the kernel
// really sends, message by message, and that a reply cut anywhere is
// rejected or parsed to a prefix, never misread.
func TestParseDiagRealReplies(t *testing.T) {
	openSockets(t)
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		seeds := captureSeeds(t, proto)
		last := seeds[len(seeds)-1]
		if _, done, err := parseDiagMessages(last, 1, proto); !done || err != nil {
			t.Fatalf("protocol %d: last datagram: done %v, err %v", proto, done, err)
		}
		for _, seed := range seeds {
			full, _, err := parseDiagMessages(seed, 1, proto)
			if err != nil {
				t.Fatalf("real reply rejected: %v", err)
			}
			for cut := range len(seed) {
				part, _, err := parseDiagMessages(seed[:cut:cut], 1, proto)
				if len(part) > len(full) || !equalPrefix(part, full) {
					t.Fatalf("cut at %d: %d sockets not a prefix of %d (err %v)", cut, len(part), len(full), err)
				}
			}
		}
	}
}

func equalPrefix(a, b []Socket) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseDiagErrors(t *testing.T) {
	msg := func(typ uint16, seq uint32, payload []byte) []byte {
		b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(payload)+3)
		binary.NativeEndian.PutUint32(b[0:], uint32(nlmsgHdrLen+len(payload)))
		binary.NativeEndian.PutUint16(b[4:], typ)
		binary.NativeEndian.PutUint32(b[8:], seq)
		b = append(b, payload...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	errno := func(e int32) []byte {
		b := make([]byte, 4)
		binary.NativeEndian.PutUint32(b, uint32(e))
		return b
	}
	if _, done, err := parseDiagMessages(msg(unix.NLMSG_ERROR, 1, errno(-int32(unix.ENOENT))), 1, unix.IPPROTO_UDP); !done || !errors.Is(err, unix.ENOENT) {
		t.Errorf("NLMSG_ERROR ENOENT: done %v, err %v", done, err)
	}
	if _, done, err := parseDiagMessages(msg(unix.NLMSG_DONE, 1, errno(-int32(unix.EINTR))), 1, unix.IPPROTO_TCP); !done || !errors.Is(err, unix.EINTR) {
		t.Errorf("NLMSG_DONE with error: done %v, err %v", done, err)
	}
	if _, done, err := parseDiagMessages(msg(unix.NLMSG_DONE, 2, errno(0)), 1, unix.IPPROTO_TCP); done || err != nil {
		t.Errorf("NLMSG_DONE of another request: done %v, err %v", done, err)
	}
	if _, _, err := parseDiagMessages(msg(unix.NLMSG_ERROR, 1, nil), 1, unix.IPPROTO_TCP); err == nil {
		t.Error("truncated NLMSG_ERROR accepted")
	}
	bad := msg(unix.NLMSG_DONE, 1, errno(0))
	binary.NativeEndian.PutUint32(bad, 1000)
	if _, _, err := parseDiagMessages(bad, 1, unix.IPPROTO_TCP); err == nil {
		t.Error("message longer than the datagram accepted")
	}
}

// checkSockets asserts what every parsed socket must satisfy.
func checkSockets(t *testing.T, socks []Socket, proto string) {
	t.Helper()
	for _, s := range socks {
		if s.Protocol != proto || s.Port == 0 || !s.Addr.IsValid() || s.Addr.Zone() != "" {
			t.Fatalf("invalid socket %+v (protocol %s)", s, proto)
		}
		switch {
		case proto == "udp" && s.State != Datagram,
			proto == "tcp" && s.State != Listen && s.State != Bound:
			t.Fatalf("socket %+v: state %s for %s", s, s.State, proto)
		}
		if s.Addr.Is4() && s.V6Only != V6OnlyUnknown {
			t.Fatalf("IPv4 socket %+v with a V6ONLY flag", s)
		}
	}
}

func FuzzParseDiagMessages(f *testing.F) {
	openSockets(f) // so that the seeds hold every kind of socket
	for _, proto := range []uint8{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
		for _, seed := range captureSeeds(f, proto) {
			f.Add(seed, uint32(1), proto)
		}
	}
	f.Add([]byte{}, uint32(1), uint8(unix.IPPROTO_TCP))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32, proto uint8) {
		b = b[:len(b):len(b)] // any read past the input panics
		socks, _, _ := parseDiagMessages(b, seq, proto)
		if len(socks) > len(b)/(nlmsgHdrLen+diagMsgLen) {
			t.Fatalf("%d sockets from %d bytes", len(socks), len(b))
		}
		switch proto {
		case unix.IPPROTO_TCP:
			checkSockets(t, socks, "tcp")
		case unix.IPPROTO_UDP:
			checkSockets(t, socks, "udp")
		default:
			if len(socks) != 0 {
				t.Fatalf("sockets for protocol %d: %+v", proto, socks)
			}
		}
	})
}

// captureSeeds returns real dumps of one protocol, both families, taken
// while a few test sockets are open.
func captureSeeds(tb testing.TB, proto uint8) [][]byte {
	states := uint32(tcpStates)
	if proto == unix.IPPROTO_UDP {
		states = udpStates
	}
	var seeds [][]byte
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		seeds = append(seeds, rawDiagDump(tb, 1, family, proto, states)...)
	}
	return seeds
}

func FuzzParseProcNetLine(f *testing.F) {
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile("/proc/net/" + name)
		if err != nil {
			continue
		}
		for i, line := range bytes.Split(b, []byte("\n")) {
			if i < 20 {
				f.Add(line, name[:3] == "udp")
			}
		}
	}
	f.Add([]byte("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1"), false)
	f.Add([]byte("   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 07 0 0 0 0 0 0 1 2"), true)
	f.Fuzz(func(t *testing.T, line []byte, udp bool) {
		line = line[:len(line):len(line)]
		proto := "tcp"
		if udp {
			proto = "udp"
		}
		s, ok, err := parseProcNetLine(line, proto)
		if !ok {
			if s != (Socket{}) {
				t.Fatalf("rejected row returned %+v", s)
			}
			return
		}
		if err != nil {
			t.Fatalf("ok with error %v", err)
		}
		checkSockets(t, []Socket{s}, proto)
		if !s.UIDKnown {
			t.Fatalf("row without uid: %+v", s)
		}
	})
}

func TestParseProcNetLine(t *testing.T) {
	for _, tc := range []struct {
		line  string
		proto string
		want  Socket
		ok    bool
		fails bool
	}{
		{line: "0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 4242 1", proto: "tcp",
			want: Socket{Protocol: "tcp", Addr: lo4, Port: 8080, State: Listen, UID: 1000, UIDKnown: true, Inode: 4242}, ok: true},
		{line: "0: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 1000 0 4242 1", proto: "tcp"},
		{line: "0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 0:0 0:0 0 0 0 77 2", proto: "udp",
			want: Socket{Protocol: "udp", Addr: lo6, Port: 53, State: Datagram, UIDKnown: true, Inode: 77}, ok: true},
		{line: "0: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 5 1", proto: "tcp",
			want: Socket{Protocol: "tcp", Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Port: 80, State: Listen, UIDKnown: true, Inode: 5}, ok: true},
		{line: "0: 0100007F:0000 00000000:0000 07 0:0 0:0 0 0 0 5 1", proto: "udp"}, // port 0: not bound
		{line: "0: 0100007F:1F90 00000000:0000 0A", proto: "tcp", fails: true},
		{line: "0: 0100007:1F90 00000000:0000 0A 0:0 0:0 0 0 0 5 1", proto: "tcp", fails: true},
		{line: "0: 0100007F:XYZ 00000000:0000 0A 0:0 0:0 0 0 0 5 1", proto: "tcp", fails: true},
		{line: "0: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 -1 0 5 1", proto: "tcp", fails: true},
	} {
		got, ok, err := parseProcNetLine([]byte(tc.line), tc.proto)
		if got != tc.want || ok != tc.ok || (err != nil) != tc.fails {
			t.Errorf("parseProcNetLine(%q) = %+v, %v, %v; want %+v, %v, fails %v", tc.line, got, ok, err, tc.want, tc.ok, tc.fails)
		}
	}
}
