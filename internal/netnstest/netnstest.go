// Package netnstest runs a test in a fresh network namespace, so that it
// sees a clean host: no sockets but its own, and fixed ports such as 8080
// that are free for sure. Golden outputs can then name real ports.
//
// Usage:
//
//	func TestX(t *testing.T) {
//		if !netnstest.Isolate(t) {
//			return // ran (or was skipped) in a child process
//		}
//		... the test, inside the namespace ...
//	}
package netnstest

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// insideEnv marks the child test process that runs inside the namespace;
// its value is the name of the test it is for.
const insideEnv = "NETNSTEST_INSIDE"

// Isolate re-runs the calling top-level test in a child process in a new
// network namespace, with loopback up, and reports whether the caller is
// that child (and should go on). It skips the test where namespaces
// cannot be made (not Linux, not root).
func Isolate(t *testing.T) bool {
	t.Helper()
	if os.Getenv(insideEnv) == t.Name() {
		if err := loopbackUp(); err != nil {
			t.Fatalf("bringing lo up in the new namespace: %v", err)
		}
		return true
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux for a network namespace")
	}
	if strings.Contains(t.Name(), "/") {
		t.Fatal("netnstest.Isolate works on top-level tests only")
	}
	args := []string{"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count=1", "-test.v"}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.update") || strings.HasPrefix(a, "-update") {
			args = append(args, a)
		}
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), insideEnv+"="+t.Name())
	cmd.SysProcAttr = newNetns()
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "--- SKIP: "+t.Name()) {
		t.Skipf("skipped inside the namespace:\n%s", out)
	}
	if err != nil {
		t.Fatalf("in a new network namespace: %v\n%s", err, out)
	}
	t.Logf("ran in a new network namespace:\n%s", out)
	return false
}
