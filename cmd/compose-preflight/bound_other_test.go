//go:build !linux

package main

import "errors"

// boundOnly needs raw sockets; the golden tests that use it run on Linux
// only (in a network namespace).
func boundOnly(addr string) (interface{ Close() error }, error) {
	return nil, errors.New("bound-only sockets are held on Linux only")
}
