//go:build !unix

package rewrite

import "io/fs"

// owner is the uid, gid and link count of a file, when the platform has them; on this
// platform it does not, and files keep the owner the OS gives a new file.
type owner struct {
	known    bool
	uid, gid int
	links    uint64
}

func ownerOf(fs.FileInfo) owner { return owner{} }

// syncDir is a no-op: Windows cannot open a directory for syncing, and its rename
// (MoveFileEx) is made durable by the file system itself.
func syncDir(string) error { return nil }
