// The large host is built of Linux processes, raw sockets and a network
// namespace.

//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-preflight/compose-preflight/internal/netnstest"
)

// holdSpec is what one holder process of TestLargeHost opens: TCP
// listeners and UDP sockets on Addr from port Base up, Pairs established
// loopback connections to its own first listeners (two sockets each: the
// client's and the accepted one), and Extra TCP listeners ("addr:port").
type holdSpec struct {
	Addr  string   `json:"addr"`
	Base  int      `json:"base"`
	TCP   int      `json:"tcp"`
	UDP   int      `json:"udp"`
	Pairs int      `json:"pairs"`
	Extra []string `json:"extra"`
}

func (s holdSpec) sockets() int { return s.TCP + s.UDP + 2*s.Pairs + len(s.Extra) }

// holdMain is the holder process: it opens the sockets of spec with raw
// system calls (no poller, so thousands cost only their kernel memory),
// prints "ready" and sleeps until the test kills its process group.
func holdMain(spec string) int {
	var s holdSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		return 2
	}
	if err := hold(s); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		return 1
	}
	fmt.Println("ready")
	for {
		time.Sleep(time.Hour)
	}
}

func hold(s holdSpec) error {
	need := uint64(s.sockets() + 64)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < need {
		lim.Cur = need
		lim.Max = max(lim.Max, need)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", need, err)
		}
	}
	sa := func(addr string, port int) (*syscall.SockaddrInet4, error) {
		a, err := netip.ParseAddr(addr)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("bad IPv4 address %q", addr)
		}
		return &syscall.SockaddrInet4{Port: port, Addr: a.As4()}, nil
	}
	listen := func(addr string, port int) (int, error) {
		to, err := sa(addr, port)
		if err != nil {
			return -1, err
		}
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err != nil {
			return -1, err
		}
		if err := syscall.Bind(fd, to); err != nil {
			return -1, fmt.Errorf("bind tcp %s:%d: %w", addr, port, err)
		}
		return fd, syscall.Listen(fd, 16)
	}
	var listeners []int
	for i := 0; i < s.TCP; i++ {
		fd, err := listen(s.Addr, s.Base+i)
		if err != nil {
			return err
		}
		listeners = append(listeners, fd)
	}
	for i := 0; i < s.UDP; i++ {
		to, err := sa(s.Addr, s.Base+i)
		if err != nil {
			return err
		}
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		if err := syscall.Bind(fd, to); err != nil {
			return fmt.Errorf("bind udp %s:%d: %w", s.Addr, s.Base+i, err)
		}
	}
	for i := 0; i < s.Pairs && i < len(listeners); i++ {
		to, _ := sa(s.Addr, s.Base+i)
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := syscall.Connect(fd, to); err != nil {
			return fmt.Errorf("connect %s:%d: %w", s.Addr, s.Base+i, err)
		}
		if _, _, err := syscall.Accept(listeners[i]); err != nil {
			return fmt.Errorf("accept on %s:%d: %w", s.Addr, s.Base+i, err)
		}
	}
	for _, e := range s.Extra {
		ap, err := netip.ParseAddrPort(e)
		if err != nil {
			return err
		}
		if _, err := listen(ap.Addr().String(), int(ap.Port())); err != nil {
			return err
		}
	}
	return nil
}

// procGroup is the helper processes of one test, all in one process group
// so that a single kill stops them, and each with a parent-death signal so
// that none outlives a test binary that dies.
type procGroup struct {
	mu   sync.Mutex
	pgid int
	cmds []*exec.Cmd
}

func (g *procGroup) start(cmd *exec.Cmd) error {
	g.mu.Lock()
	pgid := g.pgid
	g.mu.Unlock()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pgid == 0 {
		g.pgid = cmd.Process.Pid
	}
	g.cmds = append(g.cmds, cmd)
	return nil
}

// startMany starts n processes made by mk, a few at a time: os/exec holds
// a lock only around fork, so a few starters overlap their waits for exec
// (one alone spends most of its time waiting), while more would only
// queue on a 2-core machine. The group must have its first process.
func (g *procGroup) startMany(n, workers int, mk func() *exec.Cmd) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := g.start(mk()); err != nil {
					errs <- fmt.Errorf("starting process %d of %d: %w", i+1, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// kill stops every process of the group and reaps them.
func (g *procGroup) kill() {
	if g.pgid != 0 {
		syscall.Kill(-g.pgid, syscall.SIGKILL)
	}
	for _, c := range g.cmds {
		c.Process.Kill() // in case it left the group
		c.Wait()
	}
}

// startHolder starts the test binary as a holder of spec and waits until
// its sockets are open. It returns the holder's pid.
func (g *procGroup) startHolder(t *testing.T, spec holdSpec) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(spec)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), holderEnv+"="+string(b))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.start(cmd); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("holder %s did not start: %q %v\n%s", b, line, err, stderr.Bytes())
	}
	return cmd.Process.Pid
}

// countSockets counts the sockets of this network namespace by the lines
// of /proc/net/{tcp,tcp6,udp,udp6} (one per socket, after a header).
func countSockets(t *testing.T) int {
	n := 0
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		fh, err := os.Open(filepath.Join("/proc/net", f))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			n++
		}
		fh.Close()
		n-- // header
	}
	return n
}

// TestLargeHost checks a small project on a host with 100,000 sockets
// (TCP listeners, UDP sockets and established loopback connections) and
// 5,000 processes, the port in the way held by the last process started,
// so the owner walk has to look through every process. Issue #6 item 5:
// the check must finish with bounded memory, however busy the host. The
// figures (peak RSS, wall time) are logged for the README; only memory is
// asserted, and generously: it is a correctness property, time is not.
func TestLargeHost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts 5,000 processes and 100,000 sockets")
	}
	if !netnstest.Isolate(t) {
		return
	}
	const (
		processes = 5000
		holders   = 25 // each holds tcp+udp+2*pairs sockets
		tcp       = 1600
		udp       = 800
		pairs     = 800
		project   = "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n  db:\n    image: postgres\n    ports:\n      - \"5432:5432\"\n  cache:\n    image: redis\n    ports:\n      - \"127.0.0.1:6379:6379\"\n"
	)
	bin := binary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}

	g := &procGroup{}
	t.Cleanup(func() {
		start := time.Now()
		g.kill()
		t.Logf("stopped %d processes in %v", len(g.cmds), time.Since(start).Round(time.Millisecond))
	})
	start := time.Now()
	for i := 0; i < holders; i++ {
		// Each holder on its own loopback address (127.0.1.1, 127.0.1.2,
		// ...): one address's 64k ports would not hold them all.
		g.startHolder(t, holdSpec{Addr: fmt.Sprintf("127.0.1.%d", i+1), Base: 20000, TCP: tcp, UDP: udp, Pairs: pairs})
	}
	socketsUp := time.Since(start)
	// The rest are plain sleeping processes.
	if err := g.startMany(processes-holders-1, 4, func() *exec.Cmd { return exec.Command("sleep", "300") }); err != nil {
		t.Fatal(err)
	}
	culprit := g.startHolder(t, holdSpec{Extra: []string{"127.0.0.1:8080"}})
	setup := time.Since(start)
	nsock := countSockets(t)
	t.Logf("host: %d processes started in %v (%d holders' sockets open after %v), %d sockets in this namespace", len(g.cmds), setup.Round(time.Millisecond), holders, socketsUp.Round(time.Millisecond), nsock)
	if nsock < 100_000 {
		t.Fatalf("only %d sockets are open, want at least 100,000", nsock)
	}

	env := cleanEnv(t.TempDir())
	for _, format := range []string{"json", "text"} {
		r := runBin(bin, dir, env, "--format", format)
		if r.crashed() || r.code != 1 {
			t.Fatalf("want exit 1 (8080 is held), got:\n%s", r)
		}
		t.Logf("check (--format %s) on a host with %d sockets and %d processes: peak RSS %.1f MiB, wall time %v",
			format, nsock, len(g.cmds), float64(r.maxRSS)/(1<<20), r.wall.Round(time.Millisecond))
		if r.maxRSS >= 512<<20 {
			t.Errorf("peak RSS %d MiB, want under 512 MiB: memory grows with the host", r.maxRSS>>20)
		}
		if format != "json" {
			if want := fmt.Sprintf("pid %d", culprit); !bytes.Contains([]byte(r.stdout), []byte(want)) {
				t.Errorf("the report does not name %s:\n%s", want, r)
			}
			continue
		}
		rep, err := parseReport(r)
		if err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		var found bool
		for _, f := range rep.Findings {
			if f.Severity != "error" {
				continue
			}
			if f.Kind != "in-use" || f.Binding == nil || f.Binding.Published != "8080" {
				t.Errorf("unexpected finding: %s %s", f.Kind, f.Message)
				continue
			}
			for _, h := range f.Holders {
				if h.PID == culprit && h.Port == 8080 {
					found = true
				}
			}
			if !found {
				t.Errorf("the in-use finding on 8080 does not name pid %d: %+v", culprit, f.Holders)
			}
		}
		if !found {
			t.Errorf("no in-use finding names pid %d on 8080:\n%s", culprit, r)
		}
		if rep.Summary.Errors != 1 {
			t.Errorf("%d errors, want 1 (only 8080 is held):\n%s", rep.Summary.Errors, r)
		}
	}
}
