//go:build !windows && (!unix || aix || solaris || illumos)

package rewrite

import (
	"errors"
	"os"
)

// lockFile fails: this platform has no flock, and --fix must not run unlocked.
func lockFile(*os.File) error {
	return errors.New("file locking is not supported on this platform")
}

func unlockFile(*os.File) error { return nil }
