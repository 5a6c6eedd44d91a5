//go:build unix

package rewrite

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// owner is the uid, gid and link count of a file, when the platform has them.
type owner struct {
	known    bool
	uid, gid int
	links    uint64
}

func ownerOf(fi fs.FileInfo) owner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}
	}
	return owner{known: true, uid: int(st.Uid), gid: int(st.Gid), links: uint64(st.Nlink)}
}

// syncDir makes a rename in dir durable. File systems that cannot sync a directory
// (EINVAL, ENOTSUP) already give all the durability they can.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil
	}
	return errors.Join(err, d.Close())
}
