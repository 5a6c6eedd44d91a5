package rewrite

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// The tests in this file re-execute the test binary: TestChildProcess is the child's
// entry point, selected by childEnv.
const childEnv = "COMPOSE_PREFLIGHT_REWRITE_CHILD"

func TestChildProcess(t *testing.T) {
	dir := os.Getenv("COMPOSE_PREFLIGHT_REWRITE_DIR")
	switch os.Getenv(childEnv) {
	case "":
		t.Skip("helper process for TestWriteFilesKilled and TestLockAcrossProcesses")
	case "write":
		in := bufio.NewReader(os.Stdin)
		sfs := &stepFS{step: func(op string) {
			fmt.Printf("step: %s\n", op)
			if _, err := in.ReadString('\n'); err != nil {
				os.Exit(3)
			}
		}}
		if err := (writer{fs: sfs}).writeFiles(killChanges(dir)); err != nil {
			fmt.Printf("error: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("done")
	case "lock":
		unlock, err := Lock(dir)
		if err != nil {
			fmt.Printf("error: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin) // hold the lock until the parent closes stdin
		unlock()
	}
}

// stepFS calls step before every file system operation, so the parent can kill the child
// between any two of them. A temporary file is written in four pieces, a step each.
type stepFS struct {
	osFS
	step func(op string)
}

func (s *stepFS) EvalSymlinks(p string) (string, error) {
	s.step("evalsymlinks")
	return s.osFS.EvalSymlinks(p)
}
func (s *stepFS) Stat(p string) (fs.FileInfo, error) { s.step("stat"); return s.osFS.Stat(p) }
func (s *stepFS) ReadFile(p string) ([]byte, error) {
	s.step("readfile")
	return s.osFS.ReadFile(p)
}
func (s *stepFS) Rename(a, b string) error { s.step("rename"); return s.osFS.Rename(a, b) }
func (s *stepFS) Remove(p string) error    { s.step("remove"); return s.osFS.Remove(p) }
func (s *stepFS) SyncDir(d string) error   { s.step("syncdir"); return s.osFS.SyncDir(d) }
func (s *stepFS) CreateTemp(dir, pattern string) (tempFile, error) {
	s.step("create")
	f, err := s.osFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &stepFile{tempFile: f, s: s}, nil
}

type stepFile struct {
	tempFile
	s *stepFS
}

func (f *stepFile) Write(p []byte) (int, error) {
	n := 0
	for i := range 4 {
		f.s.step(fmt.Sprintf("write %d/4", i+1))
		m, err := f.tempFile.Write(p[len(p)*i/4 : len(p)*(i+1)/4])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
func (f *stepFile) Chmod(m fs.FileMode) error { f.s.step("chmod"); return f.tempFile.Chmod(m) }
func (f *stepFile) Sync() error               { f.s.step("sync"); return f.tempFile.Sync() }
func (f *stepFile) Close() error              { f.s.step("close"); return f.tempFile.Close() }

// killChanges is the transaction of the kill test: a 4 MiB compose file and a small .env.
func killChanges(dir string) []Change {
	big := func(port string) []byte {
		return bytes.Repeat([]byte("      - \""+port+":80\"   # a long line to make the file big\n"), 70000)
	}
	return []Change{
		{Path: filepath.Join(dir, "compose.yaml"), Old: big("8080"), New: big("8081")},
		{Path: filepath.Join(dir, ".env"), Old: []byte("DB_PORT=5432\n"), New: []byte("DB_PORT=5433\n")},
	}
}

func startChild(t *testing.T, kind, dir string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+kind, "COMPOSE_PREFLIGHT_REWRITE_DIR="+dir)
	stdin, stdout := testutil.Start(t, cmd)
	return cmd, stdin, stdout
}

// readMessage returns the child's next "step: ", "done", "locked" or "error: " line, or
// "" when it exited.
func readMessage(r *bufio.Reader) string {
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "step: ") || line == "done" || line == "locked" || strings.HasPrefix(line, "error: ") {
			return line
		}
		if err != nil {
			return ""
		}
	}
}

// TestWriteFilesKilled SIGKILLs a child in the middle of WriteFiles, before each of its
// file system operations in turn: every file must hold its old or its new content.
func TestWriteFilesKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process per step")
	}
	for k := 1; ; k++ {
		dir := t.TempDir()
		changes := killChanges(dir)
		for _, c := range changes {
			if err := os.WriteFile(c.Path, c.Old, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd, stdin, out := startChild(t, "write", dir)
		finished, step := false, ""
		for i := 1; ; i++ {
			msg := readMessage(out)
			if !strings.HasPrefix(msg, "step: ") {
				if msg != "done" {
					t.Fatalf("child: %q", msg)
				}
				finished = true
				break
			}
			step = msg
			if i == k {
				break // the child waits before this step: kill it there
			}
			if _, err := io.WriteString(stdin, "\n"); err != nil {
				t.Fatal(err)
			}
		}
		if !finished {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
		_ = stdin.Close()
		werr := cmd.Wait()
		p := &project{dir: dir, changes: changes}
		state := p.state(t) // fails on a partial file
		if finished {
			if werr != nil || state != "new" {
				t.Fatalf("child finished (%v) but files are %s", werr, state)
			}
			if k < 10 {
				t.Fatalf("only %d steps: the hook is not wired", k)
			}
			noTemps(t, dir)
			return
		}
		t.Logf("killed before %s (step %d): files are %s", strings.TrimPrefix(step, "step: "), k, state)
	}
}

func TestLockAcrossProcesses(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LocalAppData", t.TempDir())
	project := t.TempDir()

	cmd, stdin, out := startChild(t, "lock", project)
	if msg := readMessage(out); msg != "locked" {
		t.Fatalf("child: %q", msg)
	}
	_, err := Lock(project)
	if err == nil {
		t.Fatal("a second process got the lock")
	}
	if want := fmt.Sprintf("pid %d", cmd.Process.Pid); !strings.Contains(err.Error(), "another compose-preflight") || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the other run (%s)", err, want)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(project)
	if err != nil {
		t.Fatalf("lock not released by the child: %v", err)
	}
	unlock()

	// A killed holder releases the lock too.
	cmd, stdin, out = startChild(t, "lock", project)
	if msg := readMessage(out); msg != "locked" {
		t.Fatalf("child: %q", msg)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	_ = stdin.Close()
	unlock, err = Lock(project)
	if err != nil {
		t.Fatalf("lock of a killed process not released: %v", err)
	}
	unlock()
}

func TestLockInProcess(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LocalAppData", t.TempDir())
	project := t.TempDir()
	unlock, err := Lock(project)
	if err != nil {
		t.Fatal(err)
	}
	// The same directory through a symlink and a relative spelling is the same lock.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(project, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(link); err == nil || !strings.Contains(err.Error(), "another compose-preflight") {
		t.Fatalf("second lock through a symlink: %v", err)
	}
	other, err := Lock(t.TempDir())
	if err != nil {
		t.Fatalf("another project is blocked: %v", err)
	}
	other()
	unlock()
	unlock() // idempotent
	again, err := Lock(project)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
	entries, _ := os.ReadDir(project)
	if len(entries) != 0 {
		t.Errorf("Lock created files in the project: %v", entries)
	}
}
