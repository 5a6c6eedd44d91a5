package sockets

import (
	"context"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// holderSockets starts a helper process that holds a TCP and a UDP socket
// and returns the process and the two sockets as List reports them.
func holderSockets(t *testing.T, exe string, cred *syscall.Credential) (*helper, []Socket) {
	t.Helper()
	h := startHelperExe(t, exe, "hold", cred, nil, "hold", "--marker=owners-test")
	ports := strings.Fields(h.line)
	if len(ports) != 2 {
		t.Fatalf("helper printed %q", h.line)
	}
	socks, err := List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var held []Socket
	for i, proto := range []string{"tcp", "udp"} {
		port, _ := strconv.Atoi(ports[i])
		for _, s := range socks {
			// the helper's address too: on a busy host another process
			// may hold the same port on [::1]
			if s.Protocol == proto && int(s.Port) == port && s.Addr == lo4 {
				held = append(held, s)
			}
		}
	}
	if len(held) != 2 {
		t.Fatalf("List shows %+v for the helper's ports %s", held, h.line)
	}
	return h, held
}

func TestOwners(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h, held := holderSockets(t, exe, nil)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// A socket nobody holds (a made-up inode): no entry, no error.
	ghost := Socket{Protocol: "tcp", Addr: held[0].Addr, Port: 1, State: Listen, Inode: 1<<32 - 3}
	owners, err := Owners(context.Background(), append(held, ghost))
	if err != nil {
		t.Fatal(err)
	}
	want := Owner{
		PID:     int32(h.cmd.Process.Pid),
		Name:    filepath.Base(exe),
		Cmdline: h.cmd.Args,
		User:    me.Username,
	}
	for _, s := range held {
		got, ok := owners[s]
		if !ok {
			t.Errorf("no owner for %+v", s)
			continue
		}
		if got.PID != want.PID || got.Name != want.Name || got.User != want.User || !slices.Equal(got.Cmdline, want.Cmdline) {
			t.Errorf("owner of %s port %d:\n got %+v\nwant %+v", s.Protocol, s.Port, got, want)
		}
	}
	if o, ok := owners[ghost]; ok {
		t.Errorf("a socket nobody holds got owner %+v", o)
	}
	if len(owners) != 2 {
		t.Errorf("%d owners, want 2", len(owners))
	}
}

// TestOwnersOtherUser checks a holder running as nobody: the socket's uid
// comes from the kernel and the owner's user from the process.
func TestOwnersOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	nobody, err := user.LookupId("65534")
	if err != nil {
		t.Skipf("no user 65534: %v", err)
	}
	exe := copyExecutable(t)
	h, held := holderSockets(t, exe, &syscall.Credential{Uid: 65534, Gid: 65534})
	owners, err := Owners(context.Background(), held)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range held {
		if !s.UIDKnown || s.UID != 65534 {
			t.Errorf("%s port %d: uid %d (known %v), want 65534", s.Protocol, s.Port, s.UID, s.UIDKnown)
		}
		o := owners[s]
		if o.PID != int32(h.cmd.Process.Pid) || o.User != nobody.Username || o.Name != filepath.Base(exe) {
			t.Errorf("owner of %s port %d: %+v, want pid %d user %s", s.Protocol, s.Port, o, h.cmd.Process.Pid, nobody.Username)
		}
	}
}

// copyExecutable copies the test binary where any user may run it: go test
// builds it in a directory only its owner can enter.
func copyExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sockets-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, filepath.Base(exe))
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestOwnersProcRoot drives the walk over a fake procfs: the root is a
// parameter, processes running as a socket's uid are preferred, and sockets
// nobody holds get no entry. gopsutil finds no status files there, so the
// owners carry the PID only.
func TestOwnersProcRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown the fake process directories")
	}
	root := t.TempDir()
	fake := func(pid, uid int, links ...string) {
		dir := filepath.Join(root, strconv.Itoa(pid), "fd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, l := range links {
			if err := os.Symlink(l, filepath.Join(dir, strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(dir, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	fake(100, 0, "/dev/null", "socket:[999]", "pipe:[5]")
	fake(200, 65534, "socket:[999]", "socket:[1000]")
	fake(300, 0, "anon_inode:[eventfd]", "socket:[12x]", "socket:[]", "socket:[1001")
	if err := os.MkdirAll(filepath.Join(root, "self"), 0o755); err != nil {
		t.Fatal(err)
	}

	asRoot := Socket{Protocol: "tcp", Port: 80, Inode: 999, UID: 0, UIDKnown: true}
	asNobody := Socket{Protocol: "tcp", Port: 81, Inode: 999, UID: 65534, UIDKnown: true}
	other := Socket{Protocol: "udp", Port: 82, Inode: 1000, UID: 0, UIDKnown: true}
	unheld := Socket{Protocol: "tcp", Port: 83, Inode: 1001, UID: 0, UIDKnown: true}
	noInode := Socket{Protocol: "tcp", Port: 84}

	for _, tc := range []struct {
		socks []Socket
		want  map[Socket]int32
	}{
		{[]Socket{asRoot}, map[Socket]int32{asRoot: 100}},
		{[]Socket{asNobody}, map[Socket]int32{asNobody: 200}},
		{[]Socket{other, unheld, noInode}, map[Socket]int32{other: 200}},
		{[]Socket{{Port: 85, PID: 4242}}, map[Socket]int32{{Port: 85, PID: 4242}: 4242}},
	} {
		got, err := OwnersProc(context.Background(), root, tc.socks)
		if err != nil {
			t.Fatal(err)
		}
		pids := make(map[Socket]int32)
		for s, o := range got {
			pids[s] = o.PID
		}
		if len(pids) != len(tc.want) {
			t.Errorf("%+v: owners %v, want %v", tc.socks, pids, tc.want)
		}
		for s, pid := range tc.want {
			if pids[s] != pid {
				t.Errorf("%+v: owners %v, want %v", tc.socks, pids, tc.want)
			}
		}
	}
}

func TestSocketInode(t *testing.T) {
	for _, tc := range []struct {
		link string
		ino  uint64
		ok   bool
	}{
		{"socket:[0]", 0, true},
		{"socket:[4026531840]", 4026531840, true},
		{"socket:[18446744073709551615]", 1<<64 - 1, true},
		{"socket:[18446744073709551616]", 0, false}, // overflows
		{"socket:[]", 0, false},
		{"socket:[1", 0, false},
		{"socket:[-1]", 0, false},
		{"pipe:[12]", 0, false},
		{"/dev/null", 0, false},
	} {
		ino, ok := socketInode([]byte(tc.link))
		if ino != tc.ino || ok != tc.ok {
			t.Errorf("socketInode(%q) = %d, %v; want %d, %v", tc.link, ino, ok, tc.ino, tc.ok)
		}
	}
}
