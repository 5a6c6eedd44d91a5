package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Change is one file to replace: Path as the user named it (it may be a symbolic link),
// Old the exact bytes that were read and edited, New the bytes to write. A nil Old means
// the file is new and must not exist yet (a .env created by --fix).
type Change struct {
	Path     string
	Old, New []byte
}

// WriteFiles writes every change or none of them.
//
// Each file is replaced atomically: New goes to a temporary file in the same directory,
// which is synced, given the original mode (and owner), and renamed over the real file,
// so a reader, a crash or a kill sees either the old or the new content, never a mix.
// A symbolic link is written through: the file it points to changes, the link stays.
// Before anything is written, every file must still hold Old; otherwise someone changed
// it after it was read and WriteFiles refuses instead of overwriting their work. If a
// step fails for any file, the files already replaced are restored to Old the same way,
// and no temporary file is left behind.
//
// A file with several hard links is refused: replacing it would detach it from its other
// names. Extended attributes and ACLs of the original file are not carried over.
func WriteFiles(changes []Change) error {
	return writer{fs: osFS{}}.writeFiles(changes)
}

// fsys is the file system as WriteFiles uses it. Tests substitute a wrapper that fails
// or pauses at a chosen step; production uses osFS.
type fsys interface {
	EvalSymlinks(path string) (string, error)
	Lstat(path string) (fs.FileInfo, error)
	Stat(path string) (fs.FileInfo, error)
	ReadFile(path string) ([]byte, error)
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldpath, newpath string) error
	Remove(path string) error
	SyncDir(dir string) error
}

type tempFile interface {
	Name() string
	Write(p []byte) (int, error)
	Stat() (fs.FileInfo, error)
	Chown(uid, gid int) error
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

type osFS struct{}

func (osFS) EvalSymlinks(path string) (string, error) { return filepath.EvalSymlinks(path) }
func (osFS) Lstat(path string) (fs.FileInfo, error)   { return os.Lstat(path) }
func (osFS) Stat(path string) (fs.FileInfo, error)    { return os.Stat(path) }
func (osFS) ReadFile(path string) ([]byte, error)     { return os.ReadFile(path) }
func (osFS) Rename(oldpath, newpath string) error     { return os.Rename(oldpath, newpath) }
func (osFS) Remove(path string) error                 { return os.Remove(path) }
func (osFS) SyncDir(dir string) error                 { return syncDir(dir) }
func (osFS) CreateTemp(dir, pattern string) (tempFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err // a typed nil *os.File must not become a non-nil tempFile
	}
	return f, nil
}

type writer struct {
	fs fsys
}

// target is a change resolved to the file that will really be replaced.
type target struct {
	Change
	real   string // the regular file behind Path
	mode   fs.FileMode
	owner  owner
	create bool   // Old == nil: the file must not exist
	temp   string // temporary file not yet renamed, "" when none
	done   bool   // renamed over real: real now holds New
}

func (w writer) writeFiles(changes []Change) error {
	var targets []*target
	seen := make(map[string]string)
	for _, c := range changes {
		if c.Old != nil && bytes.Equal(c.Old, c.New) {
			continue
		}
		t, err := w.resolve(c)
		if err != nil {
			return err
		}
		if other, dup := seen[t.real]; dup {
			return fmt.Errorf("%s and %s are the same file: merge their changes first", other, c.Path)
		}
		seen[t.real] = c.Path
		targets = append(targets, t)
	}

	// Prepare every temporary file before replacing anything, so that the common
	// failures (disk full, permissions) leave every file untouched.
	for _, t := range targets {
		tmp, err := w.writeTemp(t.real, t.New, t.mode, t.owner)
		if err != nil {
			return errors.Join(fmt.Errorf("%s: %w", t.Path, err), w.abort(targets))
		}
		t.temp = tmp
	}
	for _, t := range targets {
		if err := w.commit(t); err != nil {
			return errors.Join(err, w.abort(targets))
		}
	}
	return nil
}

// resolve follows symbolic links to the real file and checks that it still holds Old.
func (w writer) resolve(c Change) (*target, error) {
	abs, err := filepath.Abs(c.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	t := &target{Change: c, create: c.Old == nil}
	if t.create {
		if _, err := w.fs.Lstat(abs); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: refusing to create it: it already exists (or cannot be checked: %v)", c.Path, err)
		}
		dir, err := w.fs.EvalSymlinks(filepath.Dir(abs))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		t.real = filepath.Join(dir, filepath.Base(abs))
		t.mode = 0o644
		return t, nil
	}
	if t.real, err = w.fs.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	fi, err := w.fs.Stat(t.real)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", c.Path)
	}
	t.mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	t.owner = ownerOf(fi)
	if t.owner.links > 1 {
		return nil, fmt.Errorf("%s: the file has %d hard links; replacing it would detach it from the others: edit it by hand", c.Path, t.owner.links)
	}
	if err := w.checkUnchanged(t); err != nil {
		return nil, err
	}
	return t, nil
}

func (w writer) checkUnchanged(t *target) error {
	if t.create {
		if _, err := w.fs.Lstat(t.real); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: was created by someone else meanwhile: nothing written", t.Path)
		}
		return nil
	}
	cur, err := w.fs.ReadFile(t.real)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Path, err)
	}
	if !bytes.Equal(cur, t.Old) {
		return fmt.Errorf("%s: changed on disk since it was read: nothing written, run again", t.Path)
	}
	return nil
}

// writeTemp writes data to a new temporary file beside real, with real's mode and owner,
// synced to disk, and returns its name. On error it leaves no file behind.
func (w writer) writeTemp(real string, data []byte, mode fs.FileMode, own owner) (string, error) {
	f, err := w.fs.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".compose-preflight-*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := fillTemp(f, data, mode, own); err != nil {
		_ = f.Close() // may be the second Close: the file is removed either way
		return "", errors.Join(err, w.removeTemp(name))
	}
	return name, nil
}

func fillTemp(f tempFile, data []byte, mode fs.FileMode, own owner) error {
	n, err := f.Write(data)
	if err == nil && n != len(data) {
		err = fmt.Errorf("short write to %s", f.Name())
	}
	if err != nil {
		return err
	}
	if own.known {
		tfi, err := f.Stat()
		if err != nil {
			return err
		}
		if mine := ownerOf(tfi); mine.uid != own.uid || mine.gid != own.gid {
			// Chown before chmod: changing the owner clears setuid/setgid bits.
			if err := f.Chown(own.uid, own.gid); err != nil {
				return fmt.Errorf("keeping owner %d:%d: %w", own.uid, own.gid, err)
			}
		}
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// removeTemp removes a temporary file, trying twice: a temporary file left in the user's
// project is a visible mess, and a transient failure should not cause one.
func (w writer) removeTemp(name string) error {
	var err error
	for range 2 {
		if err = w.fs.Remove(name); err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	return fmt.Errorf("removing temporary file %s: %w", name, err)
}

// commit renames t's temporary file over the real file and makes the rename durable.
func (w writer) commit(t *target) error {
	if err := w.checkUnchanged(t); err != nil {
		return err
	}
	if err := w.fs.Rename(t.temp, t.real); err != nil {
		return fmt.Errorf("%s: %w", t.Path, err)
	}
	t.temp, t.done = "", true
	if err := w.fs.SyncDir(filepath.Dir(t.real)); err != nil {
		return fmt.Errorf("%s: syncing its directory: %w", t.Path, err)
	}
	return nil
}

// abort removes every temporary file and restores every replaced file to its old
// content, atomically as well. It returns what it could not undo.
func (w writer) abort(targets []*target) error {
	var errs []error
	for _, t := range targets {
		if t.temp != "" {
			if err := w.removeTemp(t.temp); err != nil {
				errs = append(errs, err)
			}
			t.temp = ""
		}
	}
	for _, t := range targets {
		if !t.done {
			continue
		}
		if err := w.restore(t); err != nil {
			errs = append(errs, fmt.Errorf("%s: could not restore the old content, it holds the new one: %w", t.Path, err))
			continue
		}
		t.done = false
	}
	return errors.Join(errs...)
}

func (w writer) restore(t *target) error {
	dir := filepath.Dir(t.real)
	if t.create {
		if err := w.fs.Remove(t.real); err != nil {
			return err
		}
		return w.fs.SyncDir(dir)
	}
	tmp, err := w.writeTemp(t.real, t.Old, t.mode, t.owner)
	if err != nil {
		return err
	}
	if err := w.fs.Rename(tmp, t.real); err != nil {
		return errors.Join(err, w.removeTemp(tmp))
	}
	return w.fs.SyncDir(dir)
}
