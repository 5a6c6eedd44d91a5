//go:build !linux

package engine

// peerUID is unknown where the kernel does not report a unix socket's
// peer credentials the Linux way.
func peerUID(string) (int, bool) { return 0, false }
