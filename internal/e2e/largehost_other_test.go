//go:build !linux

package e2e

import (
	"fmt"
	"os"
)

// holdMain is Linux's: the large host is made of raw sockets there.
func holdMain(string) int {
	fmt.Fprintln(os.Stderr, "socket holders run on Linux only")
	return 1
}
