//go:build !linux

package testutil

import (
	"errors"
	"io"
)

// BoundOnly needs raw sockets; the tests that use it run on Linux only.
func BoundOnly(string, bool) (io.Closer, error) {
	return nil, errors.New("bound-only sockets are held on Linux only")
}
