package engine

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// serveEnv makes the test binary a process that listens on the unix
// socket it names, in whatever network namespace it was started in.
const serveEnv = "PREFLIGHT_TEST_SERVE_UNIX"

func TestMain(m *testing.M) {
	if path := os.Getenv(serveEnv); path != "" {
		if _, err := serveUnix(path); err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveUnix listens on a unix socket and closes every connection it
// accepts: a peer for SO_PEERCRED, and nothing more.
func serveUnix(path string) (net.Listener, error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l, nil
}

// TestEngineNamespaceSame: an engine served by this very process shares
// its network namespace.
func TestEngineNamespaceSame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docker.sock")
	l, err := serveUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ns := EngineNamespace(Endpoint{Host: "unix://" + path}, "/proc")
	if !ns.Known || !ns.Same || ns.PID != os.Getpid() {
		t.Fatalf("EngineNamespace = %+v, want the same namespace, pid %d", ns, os.Getpid())
	}
}

// TestEngineNamespaceOther: an engine whose socket is reachable but whose
// process lives in another network namespace (a socket mounted from the
// host: docker-outside-of-docker) is told apart. It needs root, for a new
// network namespace.
func TestEngineNamespaceOther(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a new network namespace needs root")
	}
	path := filepath.Join(t.TempDir(), "docker.sock")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process in a new network namespace here: %v", err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the server did not start: %q", line)
	}
	ns := EngineNamespace(Endpoint{Host: "unix://" + path}, "/proc")
	if !ns.Known || ns.Same || ns.PID != cmd.Process.Pid {
		t.Fatalf("EngineNamespace = %+v, want another namespace, pid %d", ns, cmd.Process.Pid)
	}
}

// TestEngineNamespaceUnknown: tcp:// and a socket nobody serves prove
// nothing.
func TestEngineNamespaceUnknown(t *testing.T) {
	for _, host := range []string{"tcp://127.0.0.1:2375", "unix://" + filepath.Join(t.TempDir(), "none.sock")} {
		if ns := EngineNamespace(Endpoint{Host: host}, "/proc"); ns.Known || ns.Same {
			t.Errorf("%s: EngineNamespace = %+v, want unknown", host, ns)
		}
	}
}
