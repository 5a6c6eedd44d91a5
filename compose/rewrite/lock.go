package rewrite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"
)

// Lock takes an exclusive lock for the project directory dir, so that two --fix runs on
// one project never interleave their read-edit-write cycles, and returns the function
// that releases it. It does not wait: when another run holds the lock it fails at once,
// naming the holder's pid, because a git hook or make target that hangs is worse than
// one that says to try again.
//
// The lock is an OS file lock (gofrs/flock: flock, LockFileEx on Windows, fcntl where
// there is no flock) on a file in the user's
// cache directory (os.UserCacheDir, e.g. ~/.cache/compose-preflight/locks), named by a
// hash of the project's real absolute path. It never creates a file in the project (no
// stray file to commit or ignore), it is not the compose file itself (the atomic rename
// replaces that file, so a lock on it would not outlive the first write, and Windows
// locks would block the rename), and unlike a lock file in the shared temp directory it
// cannot be pre-created or redirected by another user. The OS drops the lock when the
// process dies, so a killed run never leaves the project locked. The lock file itself is
// left in place: deleting it would let a waiter lock an unlinked file. The holder's pid,
// for the message of a run that finds the lock taken, is in a file beside it: on Windows
// the locked byte of the lock file cannot be written through another handle. Runs by different
// users do not exclude each other; WriteFiles still refuses to overwrite a file that
// changed after it was read.
func Lock(dir string) (unlock func(), err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	key := abs
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		// Usually case-insensitive: one directory, several spellings, one lock.
		key = strings.ToLower(key)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("locking %s: no cache directory for the lock file (set XDG_CACHE_HOME or HOME): %w", abs, err)
	}
	lockDir := filepath.Join(cache, "compose-preflight", "locks")
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		return nil, fmt.Errorf("locking %s: %w", abs, err)
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(lockDir, hex.EncodeToString(sum[:16])+".lock")
	pidPath := strings.TrimSuffix(path, ".lock") + ".pid"
	fl := flock.New(path, flock.SetPermissions(0o600))
	locked, err := fl.TryLock()
	if err != nil {
		_ = fl.Close()
		return nil, fmt.Errorf("locking %s (lock file %s): %w", abs, path, err)
	}
	if !locked {
		_ = fl.Close()
		holder := ""
		if b, rerr := os.ReadFile(pidPath); rerr == nil && len(bytes.TrimSpace(b)) > 0 {
			holder = " (pid " + string(bytes.TrimSpace(b)) + ")"
		}
		return nil, fmt.Errorf("another compose-preflight --fix is running on %s%s: try again when it is done (lock file %s)", abs, holder, path)
	}
	// The pid is only for the message above; the lock is the OS lock, not this file.
	_ = os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return sync.OnceFunc(func() {
		_ = os.Truncate(pidPath, 0)
		_ = fl.Close() // unlocks and closes
	}), nil
}
