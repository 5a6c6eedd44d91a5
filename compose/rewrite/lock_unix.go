//go:build unix && !aix && !solaris && !illumos

package rewrite

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes a non-blocking exclusive flock. flock (not fcntl) locks belong to the
// open file, so two Lock calls conflict even inside one process.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
