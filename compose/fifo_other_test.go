//go:build !unix

package compose

import "testing"

func mkfifo(t *testing.T, path string) {
	t.Helper()
	t.Skip("no named pipes in the file system here")
}
