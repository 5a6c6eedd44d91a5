package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// listen opens a real socket on addr ("127.0.0.1:0", "[::1]:0", ...) and
// returns its port.
func listen(t *testing.T, network, addr string) uint16 {
	t.Helper()
	var port int
	switch network {
	case "udp", "udp4", "udp6":
		c, err := net.ListenPacket(network, addr)
		if err != nil {
			t.Skipf("cannot bind %s %s here: %v", network, addr, err)
		}
		t.Cleanup(func() { c.Close() })
		port = c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Skipf("cannot listen on %s %s here: %v", network, addr, err)
		}
		t.Cleanup(func() { l.Close() })
		port = l.Addr().(*net.TCPAddr).Port
	}
	return uint16(port)
}

// inventory lists the host's sockets and keeps this test process's own:
// on a busy host another process may hold [::1] on the very port the test
// got for 127.0.0.1, which would be a right answer to a different question.
func inventory(t *testing.T) []sockets.Socket {
	t.Helper()
	socks, err := sockets.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if runtime.GOOS != "linux" {
		return socks // no inodes to tell whose a socket is
	}
	own := map[uint64]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err != nil {
			continue
		}
		var inode uint64
		if _, err := fmt.Sscanf(link, "socket:[%d]", &inode); err == nil {
			own[inode] = true
		}
	}
	return slices.DeleteFunc(socks, func(s sockets.Socket) bool { return !own[s.Inode] })
}

func bind(host string, port uint16, proto string) Binding {
	b := Binding{Service: "web", Published: port, Last: port, Target: 80, Protocol: proto, Replicas: 1}
	if host != "" {
		b.HostIP = netip.MustParseAddr(host)
	}
	return b
}

func kinds(fs []Finding) map[Kind]int {
	m := map[Kind]int{}
	for _, f := range fs {
		m[f.Kind]++
	}
	return m
}

// TestFindAgainstRealSockets runs Find on the live inventory with real
// listeners in it, under this host's own rules.
func TestFindAgainstRealSockets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the verdicts below are Linux's")
	}
	host := DefaultHost("linux")
	p4 := listen(t, "tcp4", "127.0.0.1:0")
	pDual := listen(t, "tcp", "[::]:0") // Go's wildcard listener is dual-stack
	pUDP := listen(t, "udp4", "127.0.0.1:0")
	socks := inventory(t)

	cases := []struct {
		name string
		b    Binding
		want Kind // "" = no host finding
	}{
		{"all addresses vs 127.0.0.1", bind("", p4, "tcp"), KindInUse},
		{"same address", bind("127.0.0.1", p4, "tcp"), KindInUse},
		{"other loopback address", bind("127.0.0.2", p4, "tcp"), ""},
		{"IPv6 loopback vs IPv4 listener", bind("::1", p4, "tcp"), ""},
		{"udp binding vs tcp listener", bind("", p4, "udp"), ""},
		{"IPv4 vs dual-stack [::]", bind("127.0.0.1", pDual, "tcp"), KindInUse},
		{"udp vs udp", bind("", pUDP, "udp"), KindInUse},
		{"tcp vs udp socket", bind("", pUDP, "tcp"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := Find(Input{Bindings: []Binding{c.b}, Sockets: socks, Host: host})
			got := Kind("")
			for _, f := range fs {
				if f.Kind == KindInUse || f.Kind == KindShadowed {
					got = f.Kind
					if len(f.Holders) == 0 || f.Holders[0].Socket.Port != c.b.Published {
						t.Errorf("finding without the holding socket: %+v", f)
					}
				}
			}
			if got != c.want {
				t.Errorf("got %q, want %q (findings %+v)", got, c.want, fs)
			}
		})
	}
}

// TestShadowedOnOtherSystems checks the macOS/Windows reading of the same
// real table: a wildcard and a specific address coexist, so the finding
// is shadowed, while the exact same address is still in use.
func TestShadowedOnOtherSystems(t *testing.T) {
	p := listen(t, "tcp4", "127.0.0.1:0")
	socks := inventory(t)
	host := DefaultHost("darwin")
	fs := Find(Input{Bindings: []Binding{bind("", p, "tcp")}, Sockets: socks, Host: host})
	if k := kinds(fs); k[KindShadowed] != 1 || k[KindInUse] != 0 {
		t.Errorf("0.0.0.0 over a 127.0.0.1 listener on darwin: got %v, want one shadowed", k)
	}
	fs = Find(Input{Bindings: []Binding{bind("127.0.0.1", p, "tcp")}, Sockets: socks, Host: host})
	if k := kinds(fs); k[KindInUse] != 1 {
		t.Errorf("same address on darwin: got %v, want in-use", k)
	}
}

// TestHostRange: a range conflicts only when too few of its ports are free
// for the service's replicas.
func TestHostRange(t *testing.T) {
	p := listen(t, "tcp4", "127.0.0.1:0")
	socks := inventory(t)
	b := Binding{Service: "web", Published: p, Last: p + 1, Target: 80, Protocol: "tcp", Replicas: 1}
	host := DefaultHost("linux")
	if k := kinds(Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host})); k[KindInUse] != 0 {
		t.Errorf("one free port left for one replica: got %v", k)
	}
	b.Replicas = 2
	k := kinds(Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host}))
	if k[KindInUse] != 1 {
		t.Errorf("two replicas, one free port: got %v, want in-use", k)
	}
}

// TestHostRangeByEngineVersion: the first port of a range held by a host
// socket fails an engine before Docker 27 (API 1.46), which does not try
// the next, and is a warning when no engine said its version. The real
// engines show it in internal/realengine (range-first-held).
func TestHostRangeByEngineVersion(t *testing.T) {
	p := listen(t, "tcp4", "127.0.0.1:0")
	socks := inventory(t)
	b := Binding{Service: "web", Published: p, Last: p + 2, Target: 80, Protocol: "tcp", Replicas: 1}
	host := DefaultHost("linux")
	for _, c := range []struct {
		api  string
		want Kind
	}{{"1.41", KindInUse}, {"1.45", KindInUse}, {"1.46", ""}, {"1.56", ""}, {"", KindRangeOrder}} {
		fs := Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host, EngineAPI: c.api})
		var got Kind
		for _, f := range fs {
			if f.Kind == KindInUse || f.Kind == KindRangeOrder {
				got = f.Kind
				if f.Port != p {
					t.Errorf("API %q: finding on port %d, want %d", c.api, f.Port, p)
				}
			}
		}
		if got != c.want {
			t.Errorf("API %q: got %q, want %q", c.api, got, c.want)
		}
	}
	// The first port free: every engine takes it.
	b.Published, b.Last = p-1, p+1
	if p > 1 {
		for _, f := range Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host, EngineAPI: "1.41"}) {
			if f.Kind == KindInUse || f.Kind == KindRangeOrder {
				t.Errorf("first port free: got %v", f)
			}
		}
	}
}

// TestEngineChosen: two bindings of one container port whose host port
// the engine picks fail on engines since API 1.46 when their addresses
// overlap (internal/realengine: engine-chosen-*).
func TestEngineChosen(t *testing.T) {
	any := Binding{Service: "web", Target: 80, Protocol: "tcp"}
	lo := any
	lo.HostIP = netip.MustParseAddr("127.0.0.1")
	lo2 := any
	lo2.HostIP = netip.MustParseAddr("127.0.0.2")
	other := any
	other.Target = 81
	udp := any
	udp.Protocol = "udp"
	api := any
	api.Service = "api"
	for _, c := range []struct {
		bs   []Binding
		api  string
		want int
	}{
		{[]Binding{any, any}, "1.56", 1},
		{[]Binding{lo, any}, "1.56", 1},
		{[]Binding{lo, any}, "", 1},
		{[]Binding{lo, any}, "1.41", 0},
		{[]Binding{lo, any}, "1.45", 0},
		{[]Binding{lo, any}, "1.46", 1},
		{[]Binding{any, any}, "1.47", 1},
		{[]Binding{lo, lo2}, "1.56", 0},
		{[]Binding{any, other}, "1.56", 0},
		{[]Binding{any, udp}, "1.56", 0},
		{[]Binding{any, api}, "1.56", 0},
	} {
		if got := len(EngineChosenFindings(c.bs, c.api)); got != c.want {
			t.Errorf("%v on API %q: %d findings, want %d", c.bs, c.api, got, c.want)
		}
	}
}

// TestIPv4Only: an engine without its userland proxy binds no IPv6 host
// address, so a socket on [::1] stops neither a binding on all addresses
// nor one on [::1] (internal/realengine, --userland-proxy=false).
func TestIPv4Only(t *testing.T) {
	p := listen(t, "tcp6", "[::1]:0")
	socks := inventory(t)
	host := DefaultHost("linux")
	for _, hostIP := range []netip.Addr{{}, netip.IPv6Loopback()} {
		b := Binding{Service: "web", HostIP: hostIP, Published: p, Last: p, Target: 80, Protocol: "tcp", Replicas: 1}
		if k := kinds(Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host})); k[KindInUse] != 1 {
			t.Errorf("%v with the proxy: got %v, want in-use", hostIP, k)
		}
		if k := kinds(Find(Input{Bindings: []Binding{b}, Sockets: socks, Host: host, IPv4Only: true})); k[KindInUse] != 0 {
			t.Errorf("%v without the proxy: got %v, want nothing", hostIP, k)
		}
	}
}

func TestAPIBefore(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1.41", "1.46", true}, {"1.46", "1.46", false}, {"1.9", "1.46", true}, {"1.100", "1.46", false}, {"2.0", "1.46", false}} {
		if got := APIBefore(c.a, c.b); got != c.want {
			t.Errorf("APIBefore(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

func TestDuplicatesAndReplicas(t *testing.T) {
	host := DefaultHost("linux")
	cases := []struct {
		name string
		bs   []Binding
		want map[Kind]int
	}{
		{"wildcard and specific", []Binding{bind("", 8080, "tcp"), bind("127.0.0.1", 8080, "tcp")}, map[Kind]int{KindDuplicate: 1}},
		{"three on one port: one finding for each after the first", []Binding{bind("", 8080, "tcp"), bind("", 8080, "tcp"), bind("127.0.0.1", 8080, "tcp")}, map[Kind]int{KindDuplicate: 2}},
		{"two specific addresses", []Binding{bind("127.0.0.1", 8080, "tcp"), bind("127.0.0.2", 8080, "tcp")}, map[Kind]int{}},
		{"v4 and v6 loopback", []Binding{bind("127.0.0.1", 8080, "tcp"), bind("::1", 8080, "tcp")}, map[Kind]int{}},
		{"wildcard and [::1]", []Binding{bind("", 8080, "tcp"), bind("::1", 8080, "tcp")}, map[Kind]int{KindDuplicate: 1}},
		{"tcp and udp", []Binding{bind("", 8080, "tcp"), bind("", 8080, "udp")}, map[Kind]int{}},
		// room is left, but the engine hands out the range's ports in order:
		// up fails or not by start order
		{"range leaves room", []Binding{bind("", 8080, "tcp"), {Service: "b", Published: 8080, Last: 8081, Protocol: "tcp", Replicas: 1}}, map[Kind]int{KindDuplicate: 1}},
		{"range beside a specific fixed port", []Binding{{Service: "a", Published: 8000, Last: 9000, Protocol: "tcp", Replicas: 1}, bind("127.0.0.1", 8001, "tcp")}, map[Kind]int{KindDuplicate: 1}},
		{"range and fixed port on other addresses", []Binding{{Service: "a", HostIP: netip.MustParseAddr("127.0.0.2"), Published: 8000, Last: 9000, Protocol: "tcp", Replicas: 1}, bind("127.0.0.1", 8001, "tcp")}, map[Kind]int{}},
		{"fixed port above a range", []Binding{{Service: "a", Published: 8000, Last: 8010, Protocol: "tcp", Replicas: 1}, bind("", 8011, "tcp")}, map[Kind]int{}},
		{"range left without room", []Binding{bind("", 8080, "tcp"), {Service: "b", Published: 8080, Last: 8081, Protocol: "tcp", Replicas: 2}}, map[Kind]int{KindDuplicate: 1}},
		{"replicas on a fixed port", []Binding{{Service: "w", Published: 8080, Last: 8080, Protocol: "tcp", Replicas: 3}}, map[Kind]int{KindReplicas: 1}},
		{"replicas on a narrow range", []Binding{{Service: "w", Published: 8080, Last: 8081, Protocol: "tcp", Replicas: 3}}, map[Kind]int{KindReplicas: 1}},
		{"replicas on a wide range", []Binding{{Service: "w", Published: 8080, Last: 8082, Protocol: "tcp", Replicas: 3}}, map[Kind]int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := kinds(Find(Input{Bindings: c.bs, Host: host}))
			for k, n := range c.want {
				if got[k] != n {
					t.Errorf("%s: got %d, want %d (all: %v)", k, got[k], n, got)
				}
			}
			for _, k := range []Kind{KindDuplicate, KindReplicas} {
				if c.want[k] == 0 && got[k] != 0 {
					t.Errorf("unexpected %s (all: %v)", k, got)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	host := DefaultHost("linux")
	fs := Find(Input{Bindings: []Binding{bind("", 80, "tcp"), bind("", 40000, "tcp"), bind("", 8080, "tcp")}, Host: host})
	got := map[uint16]Kind{}
	for _, f := range fs {
		got[f.Port] = f.Kind
		if f.Severity != Warning {
			t.Errorf("%s is a warning, got %v", f.Kind, f.Severity)
		}
	}
	if got[80] != KindPrivileged || got[40000] != KindEphemeral || got[8080] != "" {
		t.Errorf("got %v", got)
	}
	rootful, rootless := false, true
	if fs := Find(Input{Bindings: []Binding{bind("", 80, "tcp")}, Host: host, Rootless: &rootful}); len(fs) != 0 {
		t.Errorf("a rootful engine binds port 80: got %+v", fs)
	}
	if fs := Find(Input{Bindings: []Binding{bind("", 80, "tcp")}, Host: host, Rootless: &rootless}); len(fs) != 1 || fs[0].Kind != KindPrivileged || fs[0].Severity != Error {
		t.Errorf("a rootless engine cannot bind port 80: got %+v", fs)
	}
}

func TestPicker(t *testing.T) {
	// Hold two neighbours of a port, so the nearest free one is known.
	base := listen(t, "tcp4", "127.0.0.1:0")
	var held []uint16
	for _, p := range []uint16{base + 1, base + 2} {
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(int(p)))
		if err != nil {
			t.Skipf("neighbour port %d is taken: %v", p, err)
		}
		t.Cleanup(func() { l.Close() })
		held = append(held, p)
	}
	socks := inventory(t)
	host := Host{GOOS: "linux", EphemeralFirst: 60000, EphemeralLast: 60999, UnprivilegedStart: 1024}
	b := bind("", base, "tcp")
	probe := func(proto string, addr netip.Addr, port uint16) bool {
		return sockets.Probe(proto, addr, port).Status == sockets.Free
	}
	in := Input{Bindings: []Binding{b}, Sockets: socks, Host: host}
	first, ok := NewPicker(&in, probe).Pick(b)
	if !ok || first <= held[1] {
		t.Fatalf("Pick = %d, %v; want above the held %v", first, ok, held)
	}
	again, _ := NewPicker(&in, probe).Pick(b)
	if again != first {
		t.Errorf("not deterministic: %d then %d", first, again)
	}
	pk := NewPicker(&in, probe)
	one, _ := pk.Pick(b)
	two, _ := pk.Pick(b)
	if one == two {
		t.Errorf("the same picker handed out %d twice", one)
	}
}

func TestPickerPolicy(t *testing.T) {
	host := Host{GOOS: "linux", EphemeralFirst: 6002, EphemeralLast: 6010, UnprivilegedStart: 1024,
		Reserved: []PortRange{{6011, 6011}}}
	cases := []struct {
		name string
		b    Binding
		want uint16
	}{
		{"skips a browser-blocked port", bind("", 5999, "tcp"), 6001},
		{"udp may use it", bind("", 5999, "udp"), 6000},
		{"inside the ephemeral range when it started there", bind("", 6003, "tcp"), 6004},
		{"a range keeps its width, around blocked, ephemeral and reserved ports", Binding{Service: "w", Published: 5995, Last: 5996, Protocol: "tcp", Replicas: 1}, 6012},
		{"replicas get a window", Binding{Service: "w", Published: 5990, Last: 5990, Protocol: "tcp", Replicas: 3}, 5991},
		{"project ports are skipped", bind("", 5997, "tcp"), 5999},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bs := []Binding{c.b, bind("", 5998, c.b.Protocol)}
			in := Input{Bindings: bs, Host: host}
			got, ok := NewPicker(&in, nil).Pick(c.b)
			if !ok || got != c.want {
				t.Errorf("Pick = %d, %v; want %d", got, ok, c.want)
			}
		})
	}
}

// TestRangeAgainstFixedPorts: a host range with fixed ports of the project
// inside gives one duplicate, about the range (so --fix moves the range),
// naming the first fixed port and counting the others.
func TestRangeAgainstFixedPorts(t *testing.T) {
	bs := []Binding{
		{Service: "a", Published: 8093, Last: 9000, Target: 80, Protocol: "tcp", Replicas: 1},
		{Service: "b", Published: 8094, Last: 8094, Target: 5432, Protocol: "tcp", Replicas: 1},
		{Service: "c", Published: 8500, Last: 8500, Target: 5432, Protocol: "tcp", Replicas: 1},
		{Service: "d", Published: 8600, Last: 8600, Target: 53, Protocol: "udp", Replicas: 1},
	}
	fs := Find(Input{Bindings: bs, Host: DefaultHost("linux")})
	if len(fs) != 1 {
		t.Fatalf("want one finding, got %+v", fs)
	}
	f := fs[0]
	if f.Kind != KindDuplicate || f.Binding != 0 || f.Other != 1 || f.Port != 8094 {
		t.Errorf("want a duplicate about the range, other b, port 8094: got %+v", f)
	}
	for _, want := range []string{"and 1 more of the project's fixed ports: 8094, 8500", "start order"} {
		if !strings.Contains(f.Detail, want) {
			t.Errorf("detail %q lacks %q", f.Detail, want)
		}
	}
}

// TestMergeRun: the bindings compose expands from one entry give one
// finding per kind, over the whole range, with every holder and the
// ports concerned as ranges.
func TestMergeRun(t *testing.T) {
	host := DefaultHost("linux")
	var bs []Binding
	for p := uint16(32760); p <= 32780; p++ {
		b := bind("", p, "udp")
		b.Target, b.Entry = uint32(p), 1
		bs = append(bs, b)
	}
	lone := bind("", 40000, "udp")
	lone.Entry = 2
	bs = append(bs, lone)
	in := Input{Bindings: bs, Host: host}
	fs := Merge(Find(in), &in)
	if len(fs) != 2 {
		t.Fatalf("want two ephemeral warnings (the run, the lone port), got %d: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Kind != KindEphemeral || f.Range != (PortRange{32760, 32780}) || len(f.Ports) != 1 || f.Ports[0] != (PortRange{32768, 32780}) {
		t.Errorf("got %+v", f)
	}
	if !strings.Contains(f.Detail, "13 of its ports (32768-32780) are inside the ephemeral range") {
		t.Errorf("detail: %q", f.Detail)
	}
	if fs[1].Range != (PortRange{}) || fs[1].Port != 40000 {
		t.Errorf("a binding on its own stays as it is: %+v", fs[1])
	}
	if again := Merge(slices.Clone(fs), &in); !reflect.DeepEqual(again, fs) {
		t.Errorf("merging twice changed the findings:\n%+v\n%+v", again, fs)
	}
}
