package sockets

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// The test binary doubles as the helper processes the tests need: a process
// that holds sockets (for Owners), a load generator (for the benchmarks), a
// probe run as another user. helperEnv selects the role.
const helperEnv = "SOCKETS_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		if os.Getenv(netnsEnv) == "1" {
			if err := setupNetns(); err != nil {
				fatalHelper(err)
			}
		}
		os.Exit(m.Run())
	case "hold":
		holdMain()
	case "load":
		loadMain()
	case "probe":
		probeMain()
	default:
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", os.Getenv(helperEnv))
		os.Exit(2)
	}
	os.Exit(0)
}

// holdMain listens on 127.0.0.1 (TCP and UDP), prints both ports and keeps
// them open until stdin closes.
func holdMain() {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fatalHelper(err)
	}
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		fatalHelper(err)
	}
	fmt.Printf("%d %d\n", l.Addr().(*net.TCPAddr).Port, u.LocalAddr().(*net.UDPAddr).Port)
	io.Copy(io.Discard, os.Stdin)
}

// loadMain opens the benchmark load: SOCKETS_LOAD_LISTENERS listeners (half
// on 127.0.0.1, half on [::1]) and SOCKETS_LOAD_CONNS established loopback
// sockets (half of them accepted), prints "ready PORT" with the port of one
// 127.0.0.1 listener, and holds everything until stdin closes.
func loadMain() {
	nl, _ := strconv.Atoi(os.Getenv("SOCKETS_LOAD_LISTENERS"))
	nc, _ := strconv.Atoi(os.Getenv("SOCKETS_LOAD_CONNS"))
	if err := raiseNoFile(uint64(nl + nc + 64)); err != nil {
		fatalHelper(err)
	}
	ls, keep, err := testutil.OpenLoad(nl, nc)
	if err != nil {
		fatalHelper(err)
	}
	port := 0
	if len(ls) > 0 {
		port = ls[len(ls)/2&^1].Addr().(*net.TCPAddr).Port // an even one: on 127.0.0.1
	}
	fmt.Printf("ready %d\n", port)
	io.Copy(io.Discard, os.Stdin)
	runtime.KeepAlive(keep)
}

// probeMain runs Probe on the arguments in SOCKETS_TEST_PROBE ("tcp ADDR
// PORT") and prints the status: for probes as another user.
func probeMain() {
	f := strings.Fields(os.Getenv("SOCKETS_TEST_PROBE"))
	if len(f) != 3 {
		fatalHelper(fmt.Errorf("SOCKETS_TEST_PROBE=%q", os.Getenv("SOCKETS_TEST_PROBE")))
	}
	port, err := strconv.ParseUint(f[2], 10, 16)
	if err != nil {
		fatalHelper(err)
	}
	r := Probe(f[0], netip.MustParseAddr(f[1]), uint16(port))
	fmt.Println(r.Status)
}

func fatalHelper(err error) {
	fmt.Fprintln(os.Stderr, "helper:", err)
	os.Exit(1)
}

// raiseNoFile lifts the open-file limit to at least need descriptors: the
// soft limit up to the hard one, and the hard one too when that is allowed.
func raiseNoFile(need uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: need, Max: need}); err == nil {
			return nil
		}
	}
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	if lim.Cur < need {
		return fmt.Errorf("open-file limit %d, need %d", lim.Cur, need)
	}
	return nil
}

// helper is a running helper process; close its stdin to stop it.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	line  string // the first line it printed
}

// startHelper runs this test binary as the helper role with extra env and
// args, waits for its first output line and stops it at the end of the test.
func startHelper(tb testing.TB, role string, cred *syscall.Credential, env []string, args ...string) *helper {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	return startHelperExe(tb, exe, role, cred, env, args...)
}

func startHelperExe(tb testing.TB, exe, role string, cred *syscall.Credential, env []string, args ...string) *helper {
	tb.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	stdin, stdout := testutil.Start(tb, cmd)
	h := &helper{cmd: cmd, stdin: stdin}
	tb.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := stdout.ReadString('\n')
	if err != nil {
		tb.Fatalf("helper %s: no output: %v", role, err)
	}
	h.line = strings.TrimSpace(line)
	return h
}

// fdInode returns the inode of the socket behind a Go connection.
func fdInode(tb testing.TB, c syscall.Conn) uint64 {
	tb.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		tb.Fatal(err)
	}
	var st unix.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil {
		tb.Fatal(err)
	}
	if serr != nil {
		tb.Fatal(serr)
	}
	return st.Ino
}

// v6OnlyControl sets IPV6_V6ONLY to on (0 or 1) before the bind.
func v6OnlyControl(on int) func(string, string, syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, on)
		}); err != nil {
			return err
		}
		return serr
	}
}
