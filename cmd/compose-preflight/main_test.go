package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// holderEnv makes the test binary a holder process: it binds the sockets
// listed in the variable ("tcp4 127.0.0.1:8080,udp6 [::1]:53"), prints
// "ready", and holds them until its stdin closes. Golden tests use it as
// "the process in the way", with a real pid, name and command line.
const holderEnv = "PREFLIGHT_TEST_HOLD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(holderEnv); spec != "" {
		os.Exit(hold(spec))
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func hold(spec string) int {
	var closers []interface{ Close() error }
	for _, item := range strings.Split(spec, ",") {
		network, addr, _ := strings.Cut(strings.TrimSpace(item), " ")
		var c interface{ Close() error }
		var err error
		switch {
		case network == "bound4":
			c, err = testutil.BoundOnly(addr, false)
		case network == "client4":
			c, err = testutil.ClientFrom(addr)
		case strings.HasPrefix(network, "udp"):
			c, err = net.ListenPacket(network, addr)
		default:
			c, err = net.Listen(network, addr)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "holder:", err)
			return 1
		}
		closers = append(closers, c)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range closers {
		c.Close()
	}
	return 0
}

// startHolder runs the test binary as a process holding the sockets in
// spec, and stops it when the test ends. argv names the process and its
// arguments (default "devserver --serve"), e.g. docker-proxy with the
// arguments dockerd gives it.
func startHolder(t *testing.T, spec string, argv ...string) {
	t.Helper()
	if len(argv) == 0 {
		argv = []string{"devserver", "--serve"}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), argv[0])
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, argv[1:]...)
	cmd.Env = append(os.Environ(), holderEnv+"="+spec)
	stdin, stdout := testutil.Start(t, cmd)
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := stdout.ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder %q did not start: %q %v", spec, line, err)
	}
}

// cliRun runs the command in-process in dir and returns what it printed
// and its exit code.
func cliRun(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	return cliRunIn(t, dir, t.TempDir(), env, args...)
}

// cliRunIn is cliRun with root as the file system root where container
// markers are looked for.
func cliRunIn(t *testing.T, dir, root string, env []string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	sio := stdio{stdout: &stdout, stderr: &stderr, environ: env, cwd: dir, root: root}
	code := run(context.Background(), append([]string{"compose-preflight"}, args...), sio)
	return stdout.String(), stderr.String(), code
}

// baseEnv is a clean environment: no COMPOSE_* or CI leaking in from the
// machine running the tests.
func baseEnv(t *testing.T) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
}

var (
	pidRE     = regexp.MustCompile(`(pid"?:? ?)\d+`)
	versionRE = regexp.MustCompile(`("name": "compose-preflight",\s*"version": )"[^"]*"`)
)

// normalise hides what changes from run to run: pids and temp paths.
func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = regexp.MustCompile(`/[^ "]*/(devserver|docker-proxy)`).ReplaceAllString(s, "$$TMP/$1")
	s = versionRE.ReplaceAllString(s, `${1}"VERSION"`)
	return pidRE.ReplaceAllString(s, "${1}PID")
}
