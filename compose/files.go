package compose

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize is the largest compose or env file Load reads. docker compose
// has no limit, but a real compose file is a few KiB (the largest in the
// project's corpus of 319 public compose files is 18 KiB), while loading
// costs far more than the file: measured on a two-core machine, compose-go
// alone takes 3.5 s and 93 MiB of heap for an 8 MB file and 38 s and
// 590 MiB for a 50 MB one (then the source index parses it again). 8 MiB
// is over four hundred times the largest real file and keeps a mistaken or hostile
// input (a log or a dump passed with -f) to a few seconds and a clear
// message. compose-go separately refuses files of more than 100000 YAML
// nodes ("compose file exceeds maximum node visit limit").
const MaxFileSize = 8 << 20

// checkFile refuses, before anything opens it, a file Load would read that
// is not a regular file or is larger than MaxFileSize. Opening a named pipe
// blocks until a writer appears and reading a device such as /dev/zero never
// ends, so both are refused on what stat says, not on what reading does.
func checkFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return &LoadError{File: path, Msg: "dangling symlink: its target does not exist", Err: err}
		}
		return &LoadError{File: path, Msg: "no such file", Err: err}
	case err != nil:
		return &LoadError{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	return checkInfo(path, st)
}

// checkInfo is checkFile on a file's stat result.
func checkInfo(path string, st fs.FileInfo) error {
	switch m := st.Mode(); {
	case m.IsDir():
		return &LoadError{File: path, Msg: "is a directory, not a file"}
	case !m.IsRegular():
		return &LoadError{File: path, Msg: "is " + fileKind(m) + ", not a regular file: compose-preflight reads only regular files"}
	case st.Size() > MaxFileSize:
		return &LoadError{File: path, Msg: fmt.Sprintf("file is %s, larger than the %s limit for a compose or env file", sizeText(st.Size()), sizeText(MaxFileSize))}
	}
	return nil
}

// readFile reads a file the project names, after checkFile. The file is
// opened non-blocking and checked again once open, so a file swapped for a
// pipe in between cannot block, and reading stops past MaxFileSize in case
// the file grows.
func readFile(path string) ([]byte, error) {
	b, _, err := readFileInfo(path)
	return b, err
}

// readFileInfo is readFile that also returns what the opened file was
// (its identity, size and modification time), so that a Load can tell
// whether the file was replaced or changed while it was being read.
func readFileInfo(path string) ([]byte, fs.FileInfo, error) {
	if err := checkFile(path); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, &LoadError{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, &LoadError{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	if err := checkInfo(path, st); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, &LoadError{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	if len(b) > MaxFileSize {
		return nil, nil, &LoadError{File: path, Msg: fmt.Sprintf("file is larger than the %s limit for a compose or env file", sizeText(MaxFileSize))}
	}
	return b, st, nil
}

// fileKind names a non-regular file type for a message.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// sizeText is a byte count in MiB, or bytes below one MiB.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// isRefusal reports whether err is checkFile's refusal of a file that
// exists, as opposed to a missing file, which compose-go reports itself
// with its own message.
func isRefusal(err error) bool {
	var le *LoadError
	return errors.As(err, &le) && le.File != "" && !errors.Is(err, fs.ErrNotExist)
}

// stamps remember what each file was when it was first read, to notice a
// file that another program (another --fix, an editor) replaces while a
// Load reads the project twice: once through compose-go, once for the
// source index.
type stamps map[string]fs.FileInfo

// note records path as it is now, unless it is already recorded.
func (s stamps) note(path string, st fs.FileInfo) {
	if _, ok := s[path]; !ok && st != nil {
		s[path] = st
	}
}

// changed names a recorded file that is not the same any more: replaced
// (a rename over it), resized or modified.
func (s stamps) changed() (string, bool) {
	for path, old := range s {
		st, err := os.Stat(path)
		if err != nil || !os.SameFile(st, old) || st.Size() != old.Size() || !st.ModTime().Equal(old.ModTime()) {
			return path, true
		}
	}
	return "", false
}
