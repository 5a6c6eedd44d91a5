package netnstest

import (
	"net"
	"testing"
)

// TestIsolate proves the namespace is clean and usable: port 8080 is free
// on both loopbacks whatever runs on the machine, and lo is up.
func TestIsolate(t *testing.T) {
	if !Isolate(t) {
		return
	}
	for _, addr := range []string{"127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8080"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen %s in a fresh namespace: %v", addr, err)
		}
		l.Close()
	}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 1 || ifs[0].Name != "lo" {
		t.Errorf("a fresh namespace has only lo, got %v", ifs)
	}
}
