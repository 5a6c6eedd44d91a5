package githook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Staged is the work tree as it is about to be committed (StageTree).
type Staged struct {
	// Root is the temporary folder that mirrors the work tree's top.
	Root string
	// Dir is the counterpart of the folder StageTree was given.
	Dir string
	// Changed are the paths the commit adds, modifies or deletes,
	// slash-separated and relative to the work tree's top. A rename is
	// its old path and its new one.
	Changed []string
	// top is the work tree's top, where Add finds untracked files.
	top string
}

// RepoPaths names the files of the staged copy in text (a report) as the
// repository names them: by their path from the top of the work tree,
// the top itself as ".". The check reads the copy, but the user commits
// the repository, and the copy's temporary folder means nothing to them.
func (s Staged) RepoPaths(text string) string {
	root := strings.TrimSuffix(s.Root, string(filepath.Separator))
	return strings.ReplaceAll(strings.ReplaceAll(text, root+string(filepath.Separator), ""), root, ".")
}

// Add puts into the staged tree the files at paths (slash-separated,
// relative to the work tree's top) that StageTree left out by their
// name, such as a service's env_file app.conf that docker compose must
// find: the index's version of a tracked file, the work tree's of an
// untracked one. Paths outside the work tree, already staged or absent
// are passed over.
func (s Staged) Add(ctx context.Context, paths []string) error {
	var tracked []string
	for _, p := range paths {
		if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(p))); err == nil {
			continue
		}
		out, err := git(ctx, s.top, nil, "ls-files", "-z", "--cached", "--full-name", "--", ":(literal)"+p)
		if err != nil {
			return fmt.Errorf("stage tree: %w", err)
		}
		if len(splitNUL(out)) > 0 {
			tracked = append(tracked, p)
			continue
		}
		if err := copyFile(filepath.Join(s.top, filepath.FromSlash(p)), filepath.Join(s.Root, filepath.FromSlash(p))); err != nil {
			return fmt.Errorf("stage tree: %w", err)
		}
	}
	if len(tracked) > 0 {
		list := []byte(strings.Join(tracked, "\x00") + "\x00")
		if _, err := git(ctx, s.top, list, "checkout-index", "--stdin", "-z", "--prefix="+filepath.ToSlash(s.Root)+"/"); err != nil {
			return fmt.Errorf("stage tree: export the index: %w", err)
		}
	}
	return nil
}

// StageTree materialises, in a new temporary folder, the files compose
// reads as they will be after the commit being prepared: the index's
// version of every tracked file named *.yml, *.yaml, *.env or .env* (a
// half-staged compose.yaml is checked as it will be committed, not as it is
// in the editor), plus the untracked files with those names that are
// present in the work tree, ignored ones included (a git-ignored .env or
// compose.override.yaml is usual, and docker compose reads it).
//
// Those names cover every file that can change a published port: compose
// files, whatever their name, are YAML, and ports are interpolated from env
// files. Files such as Dockerfiles do not matter to a port check and are
// not copied; an env_file of another name, which docker compose must find,
// is added with Staged.Add.
//
// The whole work tree's layout is mirrored, and dir is repoDir's
// counterpart inside it, so a path relative to repoDir (../.env, an
// include of ../common.yaml) means the same file under dir. The index used
// is git's: GIT_INDEX_FILE, set by git for `git commit -a` and `git commit
// <paths>`, is honoured. cleanup removes the folder; call it when done.
func StageTree(ctx context.Context, repoDir string) (st Staged, cleanup func(), err error) {
	realDir, err := filepath.EvalSymlinks(repoDir)
	if err != nil {
		return Staged{}, nil, fmt.Errorf("stage tree: %w", err)
	}
	realDir, err = filepath.Abs(realDir)
	if err != nil {
		return Staged{}, nil, fmt.Errorf("stage tree: %w", err)
	}
	out, err := git(ctx, realDir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return Staged{}, nil, fmt.Errorf("stage tree of %s: %w", repoDir, err)
	}
	top := filepath.Clean(filepath.FromSlash(strings.TrimRight(string(out), "\r\n")))
	if realTop, err := filepath.EvalSymlinks(top); err == nil {
		top = realTop
	}
	rel, err := filepath.Rel(top, realDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return Staged{}, nil, fmt.Errorf("stage tree: %s is not inside the work tree %s", repoDir, top)
	}

	tracked, err := stagedPaths(ctx, top)
	if err != nil {
		return Staged{}, nil, err
	}
	untracked, err := untrackedPaths(ctx, top)
	if err != nil {
		return Staged{}, nil, err
	}

	root, err := os.MkdirTemp("", "compose-preflight-staged-")
	if err != nil {
		return Staged{}, nil, fmt.Errorf("stage tree: %w", err)
	}
	cleanup = func() { os.RemoveAll(root) }
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real // as compose reports the files' paths
	}
	if len(tracked) > 0 {
		// checkout-index writes the index's blobs, with their modes and
		// filters (eol, smudge) applied as a checkout would.
		list := []byte(strings.Join(tracked, "\x00") + "\x00")
		prefix := filepath.ToSlash(root) + "/"
		if _, err := git(ctx, top, list, "checkout-index", "--stdin", "-z", "--prefix="+prefix); err != nil {
			cleanup()
			return Staged{}, nil, fmt.Errorf("stage tree: export the index: %w", err)
		}
	}
	for _, p := range untracked {
		if err := copyFile(filepath.Join(top, filepath.FromSlash(p)), filepath.Join(root, filepath.FromSlash(p))); err != nil {
			cleanup()
			return Staged{}, nil, fmt.Errorf("stage tree: %w", err)
		}
	}
	changed, err := changedPaths(ctx, top)
	if err != nil {
		cleanup()
		return Staged{}, nil, err
	}
	dir := filepath.Join(root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		cleanup()
		return Staged{}, nil, fmt.Errorf("stage tree: %w", err)
	}
	return Staged{Root: root, Dir: dir, Changed: changed, top: top}, cleanup, nil
}

// changedPaths lists what the commit changes against HEAD (against
// nothing in a repository's first commit), renames as a deletion and an
// addition, since both folders' projects change.
func changedPaths(ctx context.Context, top string) ([]string, error) {
	args := []string{"diff", "--cached", "--name-only", "-z", "--no-renames", "--no-ext-diff"}
	if _, err := git(ctx, top, nil, "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		// no commit yet: everything in the index is new
		args = []string{"ls-files", "-z", "--cached", "--full-name"}
	}
	out, err := git(ctx, top, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("stage tree: list the staged changes: %w", err)
	}
	return splitNUL(out), nil
}

// stagedPaths lists the index entries StageTree exports: files only (not
// submodules), each once even when a merge left several stages of it.
func stagedPaths(ctx context.Context, top string) ([]string, error) {
	out, err := git(ctx, top, nil, "ls-files", "-z", "--cached", "--stage", "--full-name")
	if err != nil {
		return nil, fmt.Errorf("stage tree: list the index: %w", err)
	}
	var paths []string
	seen := map[string]bool{}
	for _, rec := range splitNUL(out) {
		// "<mode> <object> <stage>\t<path>"
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok || strings.HasPrefix(meta, "160000 ") || seen[p] || !stagedName(path.Base(p)) {
			continue
		}
		seen[p] = true
		paths = append(paths, p)
	}
	return paths, nil
}

// untrackedPaths lists the untracked files StageTree copies from the work
// tree, git-ignored ones included.
func untrackedPaths(ctx context.Context, top string) ([]string, error) {
	out, err := git(ctx, top, nil, "ls-files", "-z", "--others", "--full-name")
	if err != nil {
		return nil, fmt.Errorf("stage tree: list untracked files: %w", err)
	}
	var paths []string
	for _, p := range splitNUL(out) {
		if stagedName(path.Base(p)) {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// stagedName says whether StageTree keeps a file of this base name.
func stagedName(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml") ||
		strings.HasSuffix(name, ".env") || strings.HasPrefix(name, ".env")
}

func splitNUL(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}

// copyFile copies a regular file (following a symlink, as compose does
// when it reads it), keeping its permission bits. Anything else that is
// not a regular file (a socket, a folder named .env) is skipped.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		// Gone since git listed it, or a dangling symlink: compose would
		// not read it either.
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
