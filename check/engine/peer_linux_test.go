package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPeerOf serves a unix socket from this process: the kernel must name
// this process's user and command as its peer.
func TestPeerOf(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "engine.sock")
	l, err := serveUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip(err)
	}
	p := socketPeer(Endpoint{Host: "unix://" + sock})
	if !p.known || p.uid != os.Getuid() || p.name != strings.TrimSpace(string(comm)) {
		t.Errorf("socketPeer = %+v, want uid %d and name %q", p, os.Getuid(), strings.TrimSpace(string(comm)))
	}
	if p := socketPeer(Endpoint{Host: "tcp://127.0.0.1:2375"}); p.known {
		t.Errorf("a tcp endpoint has no peer to ask: %+v", p)
	}
}
