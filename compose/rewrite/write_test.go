package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var errInjected = errors.New("injected fault")

// faultFS wraps the real file system and fails chosen calls: fail["rename"][2] makes the
// second Rename fail. Calls are counted per operation, rollback calls included.
type faultFS struct {
	osFS
	fail  map[string]map[int]bool
	calls map[string]int
}

func newFaultFS(op string, nth ...int) *faultFS {
	f := &faultFS{fail: map[string]map[int]bool{op: {}}, calls: map[string]int{}}
	for _, n := range nth {
		f.fail[op][n] = true
	}
	return f
}

func (f *faultFS) fault(op string) error {
	f.calls[op]++
	if f.fail[op][f.calls[op]] {
		return fmt.Errorf("%s #%d: %w", op, f.calls[op], errInjected)
	}
	return nil
}

func (f *faultFS) EvalSymlinks(p string) (string, error) {
	if err := f.fault("evalsymlinks"); err != nil {
		return "", err
	}
	return f.osFS.EvalSymlinks(p)
}

func (f *faultFS) Stat(p string) (fs.FileInfo, error) {
	if err := f.fault("stat"); err != nil {
		return nil, err
	}
	return f.osFS.Stat(p)
}

func (f *faultFS) ReadFile(p string) ([]byte, error) {
	if err := f.fault("readfile"); err != nil {
		return nil, err
	}
	return f.osFS.ReadFile(p)
}

func (f *faultFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if err := f.fault("create"); err != nil {
		return nil, err
	}
	t, err := f.osFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: t, fs: f}, nil
}

func (f *faultFS) Rename(a, b string) error {
	if err := f.fault("rename"); err != nil {
		return err
	}
	return f.osFS.Rename(a, b)
}

func (f *faultFS) Remove(p string) error {
	if err := f.fault("remove"); err != nil {
		return err
	}
	return f.osFS.Remove(p)
}

func (f *faultFS) SyncDir(d string) error {
	if err := f.fault("syncdir"); err != nil {
		return err
	}
	return f.osFS.SyncDir(d)
}

type faultFile struct {
	tempFile
	fs *faultFS
}

// Write fails after writing half, like a disk that fills up mid-way.
func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.fault("write"); err != nil {
		n, _ := f.tempFile.Write(p[:len(p)/2])
		return n, err
	}
	return f.tempFile.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.fault("sync"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

func (f *faultFile) Chmod(m fs.FileMode) error {
	if err := f.fs.fault("chmod"); err != nil {
		return err
	}
	return f.tempFile.Chmod(m)
}

func (f *faultFile) Close() error {
	if err := f.fs.fault("close"); err != nil {
		_ = f.tempFile.Close()
		return err
	}
	return f.tempFile.Close()
}

// project is a directory with files a.yaml and b.env and the changes that rewrite them.
type project struct {
	dir     string
	changes []Change
}

func newProject(t *testing.T) *project {
	t.Helper()
	p := &project{dir: t.TempDir()}
	for _, f := range []struct{ name, old, new string }{
		{"compose.yaml", "services:\n  web:\n    ports:\n      - \"8080:80\"\n", "services:\n  web:\n    ports:\n      - \"8081:80\"\n"},
		{".env", "DB_PORT=5432\n", "DB_PORT=5433\n"},
	} {
		path := filepath.Join(p.dir, f.name)
		if err := os.WriteFile(path, []byte(f.old), 0o640); err != nil {
			t.Fatal(err)
		}
		p.changes = append(p.changes, Change{Path: path, Old: []byte(f.old), New: []byte(f.new)})
	}
	return p
}

// state returns "old", "new" or "mixed" for the files of p, failing on partial content.
func (p *project) state(t *testing.T) string {
	t.Helper()
	olds, news := 0, 0
	for _, c := range p.changes {
		got, err := os.ReadFile(c.Path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.Equal(got, c.Old):
			olds++
		case bytes.Equal(got, c.New):
			news++
		default:
			t.Fatalf("%s holds neither the old nor the new content: %q", c.Path, got)
		}
	}
	switch {
	case news == 0:
		return "old"
	case olds == 0:
		return "new"
	}
	return "mixed"
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.compose-preflight-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

func TestWriteFiles(t *testing.T) {
	p := newProject(t)
	if err := WriteFiles(p.changes); err != nil {
		t.Fatal(err)
	}
	if s := p.state(t); s != "new" {
		t.Fatalf("files are %s after a successful write", s)
	}
	noTemps(t, p.dir)
}

func TestWriteFilesFaults(t *testing.T) {
	ops := []string{"evalsymlinks", "stat", "readfile", "create", "write", "chmod", "sync", "close", "rename", "syncdir", "remove"}
	for _, op := range ops {
		for n := 1; ; n++ {
			p := newProject(t)
			ffs := newFaultFS(op, n)
			err := writer{fs: ffs}.writeFiles(p.changes)
			state := p.state(t)
			noTemps(t, p.dir)
			if ffs.calls[op] < n {
				// The n-th call never happened: the write went through untouched.
				if err != nil || state != "new" {
					t.Fatalf("%s: no fault injected, got %v and %s files", op, err, state)
				}
				break
			}
			switch {
			case err == nil && state != "new":
				t.Errorf("%s #%d: success reported but files are %s", op, n, state)
			case err != nil && state != "old":
				t.Errorf("%s #%d: %v, and files are %s, not restored", op, n, err, state)
			case err != nil && !errors.Is(err, errInjected):
				t.Errorf("%s #%d: error does not carry the cause: %v", op, n, err)
			case err != nil && !strings.Contains(err.Error(), p.dir):
				t.Errorf("%s #%d: error does not name the file: %v", op, n, err)
			}
		}
	}
}

func TestWriteFilesRollbackFailure(t *testing.T) {
	// The second file's rename fails, and so does the rename that restores the first.
	p := newProject(t)
	err := writer{fs: newFaultFS("rename", 2, 3)}.writeFiles(p.changes)
	if err == nil || !strings.Contains(err.Error(), "could not restore") {
		t.Fatalf("error %v does not say the first file could not be restored", err)
	}
	if s := p.state(t); s != "mixed" {
		t.Fatalf("files are %s", s)
	}
	noTemps(t, p.dir)
}

func TestWriteFilesChangedOnDisk(t *testing.T) {
	p := newProject(t)
	edited := []byte("DB_PORT=6000 # edited by hand meanwhile\n")
	if err := os.WriteFile(p.changes[1].Path, edited, 0o640); err != nil {
		t.Fatal(err)
	}
	err := WriteFiles(p.changes)
	if err == nil || !strings.Contains(err.Error(), "changed on disk") || !strings.Contains(err.Error(), ".env") {
		t.Fatalf("got %v", err)
	}
	if got, _ := os.ReadFile(p.changes[0].Path); !bytes.Equal(got, p.changes[0].Old) {
		t.Error("the first file was written although the second changed")
	}
	if got, _ := os.ReadFile(p.changes[1].Path); !bytes.Equal(got, edited) {
		t.Error("the hand edit was overwritten")
	}
	noTemps(t, p.dir)
}

func TestWriteFilesKeepsMode(t *testing.T) {
	for _, mode := range []fs.FileMode{0o600, 0o755, 0o444} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte("a: 1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			if err := WriteFiles([]Change{{Path: path, Old: []byte("a: 1\n"), New: []byte("a: 2\n")}}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" && fi.Mode().Perm() != mode {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), mode)
			}
		})
	}
}

func TestWriteFilesKeepsOwnerAsRoot(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("A=1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4321, 4322); err != nil {
		t.Skipf("chown: %v", err)
	}
	if err := WriteFiles([]Change{{Path: path, Old: []byte("A=1\n"), New: []byte("A=2\n")}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if o := ownerOf(fi); o.uid != 4321 || o.gid != 4322 || fi.Mode().Perm() != 0o640 {
		t.Errorf("owner %d:%d mode %v, want 4321:4322 0640", o.uid, o.gid, fi.Mode().Perm())
	}
}

func TestWriteFilesThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "compose.yaml")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "project", "compose.yaml")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "shared", "compose.yaml"), link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if err := WriteFiles([]Change{{Path: link, Old: []byte("a: 1\n"), New: []byte("a: 2\n")}}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link is no longer a link: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(real); string(got) != "a: 2\n" {
		t.Errorf("target holds %q", got)
	}
	noTemps(t, filepath.Dir(real))
	noTemps(t, filepath.Dir(link))
}

func TestWriteFilesRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alias.yaml")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.yaml")
	if err := os.WriteFile(hard, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(hard, filepath.Join(dir, "hard2.yaml")); err != nil {
		t.Fatal(err)
	}
	old := []byte("a: 1\n")
	cases := []struct {
		name    string
		changes []Change
		want    string
	}{
		{"same file twice", []Change{{path, old, []byte("a: 2\n")}, {link, old, []byte("a: 3\n")}}, "same file"},
		{"hard links", []Change{{hard, old, []byte("a: 2\n")}}, "hard links"},
		{"missing", []Change{{filepath.Join(dir, "nope.yaml"), old, []byte("a: 2\n")}}, "nope.yaml"},
		{"create existing", []Change{{path, nil, []byte("a: 2\n")}}, "already exists"},
		{"directory", []Change{{dir, old, []byte("a: 2\n")}}, "not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := WriteFiles(c.changes)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error about %q", err, c.want)
			}
			for _, f := range []string{path, hard} {
				if got, _ := os.ReadFile(f); !bytes.Equal(got, old) {
					t.Errorf("%s changed to %q", f, got)
				}
			}
			noTemps(t, dir)
		})
	}
}

func TestWriteFilesCreate(t *testing.T) {
	p := newProject(t)
	envPath := filepath.Join(p.dir, "sub.env")
	changes := append(p.changes, Change{Path: envPath, New: []byte("WEB_PORT=8081\n")})
	// The new file's rename is the third: fail it and everything must be as before,
	// the new file absent.
	err := writer{fs: newFaultFS("rename", 3)}.writeFiles(changes)
	if err == nil {
		t.Fatal("fault not reported")
	}
	if s := p.state(t); s != "old" {
		t.Fatalf("files are %s", s)
	}
	if _, err := os.Lstat(envPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("new file exists after rollback: %v", err)
	}
	if err := WriteFiles(changes); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(envPath); string(got) != "WEB_PORT=8081\n" {
		t.Errorf("new file holds %q", got)
	}
	noTemps(t, p.dir)
}

func TestWriteFilesUnchangedIsNoop(t *testing.T) {
	p := newProject(t)
	ffs := newFaultFS("rename", 1)
	same := []Change{{Path: p.changes[0].Path, Old: p.changes[0].Old, New: p.changes[0].Old}}
	if err := (writer{fs: ffs}).writeFiles(same); err != nil || ffs.calls["rename"] != 0 {
		t.Fatalf("an unchanged file was written: %v, %d renames", err, ffs.calls["rename"])
	}
}

func (f *faultFS) and(op string, nth ...int) *faultFS {
	if f.fail[op] == nil {
		f.fail[op] = map[int]bool{}
	}
	for _, n := range nth {
		f.fail[op][n] = true
	}
	return f
}

// TestWriteFilesCleanupRetries: the write of the second file fails, and so does the first
// attempt to remove each temporary file; the retry still leaves the project clean.
func TestWriteFilesCleanupRetries(t *testing.T) {
	p := newProject(t)
	ffs := newFaultFS("write", 2).and("remove", 1, 3)
	err := writer{fs: ffs}.writeFiles(p.changes)
	if !errors.Is(err, errInjected) {
		t.Fatalf("got %v", err)
	}
	if ffs.calls["remove"] < 3 {
		t.Fatalf("only %d removals: the injected failures were not exercised", ffs.calls["remove"])
	}
	if s := p.state(t); s != "old" {
		t.Fatalf("files are %s", s)
	}
	noTemps(t, p.dir)
}
