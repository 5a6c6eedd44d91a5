// Package githook installs compose-preflight as a git pre-commit hook and
// materialises the project as it is about to be committed, so that a port
// conflict is caught where developers already are, without anyone having to
// remember to run a check.
//
// The hook is a short POSIX sh script. It runs any pre-commit hook that was
// there before it (moved aside, and put back by Uninstall), leaves at once
// unless a YAML or env file is staged, and then runs the compose-preflight
// binary that installed it: never a program from the repository being
// committed, since a hook that ran repository code would run whatever a
// checked-out branch contains.
package githook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Names of the files Install manages inside the hooks folder.
const (
	hookName    = "pre-commit"
	chainedName = "pre-commit.compose-preflight-chained"
)

// Result says what Install or Uninstall did, so the CLI can tell the user
// where the hook lives and what happened to the hook that was there before.
type Result struct {
	// Hook is the absolute path of the pre-commit hook file.
	Hook string
	// Chained is the absolute path the previous pre-commit hook was moved
	// to (Install: our hook runs it first) or moved back from (Uninstall).
	// It is empty when there was no previous hook.
	Chained string
	// Changed is false when the call found everything already as asked:
	// the same hook installed, or no hook of ours to remove.
	Changed bool

	uninstalled bool
}

// String says what was done, in a line for the user: where the hook is
// and what became of the hook that was there before.
func (r Result) String() string {
	switch {
	case r.uninstalled && !r.Changed:
		return "no compose-preflight hook to remove"
	case r.uninstalled && r.Chained != "":
		return fmt.Sprintf("removed %s and put back the hook that was there before", r.Hook)
	case r.uninstalled:
		return "removed " + r.Hook
	case !r.Changed:
		return r.Hook + " is already installed"
	case r.Chained != "":
		return fmt.Sprintf("installed %s; it runs the hook that was there first (now %s)", r.Hook, r.Chained)
	}
	return "installed " + r.Hook
}

// Install writes the compose-preflight pre-commit hook into the hooks folder
// git uses for repoDir (core.hooksPath and linked worktrees included).
//
// command is the compose-preflight program and any leading arguments the
// hook runs, followed by "hook run". Its first element must be an absolute
// path (the binary that installs the hook, so the hook keeps running the
// same program) or a bare name looked up in PATH; a relative path is
// refused because it would resolve inside the repository. An empty command
// means "compose-preflight" from PATH. When the absolute path is gone at
// commit time, the hook falls back to compose-preflight from PATH.
//
// An existing pre-commit hook that is not ours is moved to
// pre-commit.compose-preflight-chained and run first by our hook, with the
// same arguments and standard input; a failure there fails the commit.
// Installing again with the same command changes nothing.
func Install(repoDir string, command []string) (Result, error) {
	script, err := hookScript(command)
	if err != nil {
		return Result{}, err
	}
	dir, err := hooksDir(repoDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Hook: filepath.Join(dir, hookName)}
	chained := filepath.Join(dir, chainedName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create hooks folder: %w", err)
	}

	current, ours, err := readHook(res.Hook)
	if err != nil {
		return Result{}, err
	}
	chainedExists, err := exists(chained)
	if err != nil {
		return Result{}, err
	}
	switch {
	case current == nil:
		// No hook: nothing to chain, except a chained hook left behind by
		// an install whose hook was since deleted; keep running it.
	case ours:
		if bytes.Equal(current, script) {
			fixed, err := ensureExecutable(res.Hook)
			if err != nil {
				return Result{}, err
			}
			if chainedExists {
				res.Chained = chained
			}
			res.Changed = fixed
			return res, nil
		}
	default:
		if chainedExists {
			return Result{}, fmt.Errorf("%s is not compose-preflight's hook, and %s already holds a hook it chained: "+
				"move one of them away, then install again", res.Hook, chained)
		}
		if err := os.Rename(res.Hook, chained); err != nil {
			return Result{}, fmt.Errorf("move the existing pre-commit hook aside: %w", err)
		}
		chainedExists = true
	}
	if chainedExists {
		res.Chained = chained
	}
	if err := writeExecutable(res.Hook, script); err != nil {
		return Result{}, err
	}
	res.Changed = true
	return res, nil
}

// Program is this program's path, links resolved, for the command that
// Install records: the hook then runs the very binary that installed it.
func Program() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this program: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return exe, nil
}

// Uninstall removes the compose-preflight pre-commit hook from repoDir's
// hooks folder and moves back the hook it had chained, if any, so the
// folder is as it was before Install. A pre-commit hook that is not ours is
// left alone and reported as an error.
func Uninstall(repoDir string) (Result, error) {
	dir, err := hooksDir(repoDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Hook: filepath.Join(dir, hookName), uninstalled: true}
	chained := filepath.Join(dir, chainedName)
	current, ours, err := readHook(res.Hook)
	if err != nil {
		return Result{}, err
	}
	if current != nil && !ours {
		return Result{}, fmt.Errorf("%s was not installed by compose-preflight: left as it is", res.Hook)
	}
	chainedExists, err := exists(chained)
	if err != nil {
		return Result{}, err
	}
	if chainedExists {
		// One rename replaces our hook with the previous one, so there is
		// no moment without a hook.
		if err := os.Rename(chained, res.Hook); err != nil {
			return Result{}, fmt.Errorf("restore the previous pre-commit hook: %w", err)
		}
		res.Chained = chained
		res.Changed = true
		return res, nil
	}
	if current == nil {
		return res, nil
	}
	if err := os.Remove(res.Hook); err != nil {
		return Result{}, fmt.Errorf("remove the pre-commit hook: %w", err)
	}
	res.Changed = true
	return res, nil
}

// hooksDir asks git where the hooks of repoDir live. Git knows best:
// core.hooksPath (relative to the work tree's top), linked worktrees (whose
// hooks are the main repository's) and GIT_DIR all change the answer.
func hooksDir(repoDir string) (string, error) {
	out, err := git(context.Background(), repoDir, nil, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
	if err != nil {
		return "", fmt.Errorf("find the git hooks folder of %s: %w", repoDir, err)
	}
	dir := strings.TrimRight(string(out), "\r\n")
	if dir == "" {
		return "", fmt.Errorf("find the git hooks folder of %s: git printed nothing", repoDir)
	}
	return filepath.Clean(filepath.FromSlash(dir)), nil
}

// readHook returns the hook's content (nil when there is none) and whether
// it is one of ours. It follows a symlink, as git does when it runs it.
func readHook(path string) (content []byte, ours bool, err error) {
	content, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			// A dangling symlink is still somebody's hook: chain it
			// rather than overwrite it.
			return []byte{}, false, nil
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the existing pre-commit hook: %w", err)
	}
	return content, isOurs(content), nil
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("look for %s: %w", path, err)
}

// writeExecutable writes the hook through a temporary file in the same
// folder and a rename, so a commit running at the same moment sees either
// the old hook or the new one, never half of it.
func writeExecutable(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pre-commit.compose-preflight-*")
	if err != nil {
		return fmt.Errorf("write the pre-commit hook: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write the pre-commit hook: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the pre-commit hook: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return fmt.Errorf("make the pre-commit hook executable: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the pre-commit hook: %w", err)
	}
	return nil
}

// ensureExecutable restores the mode of a hook of ours whose content is
// right but whose executable bit was lost (git skips such a hook), and
// says whether it had to.
func ensureExecutable(path string) (bool, error) {
	if runtime.GOOS == "windows" {
		// No executable bit there: Git for Windows runs any hook file.
		return false, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("check the pre-commit hook: %w", err)
	}
	if fi.Mode().Perm() == 0o755 {
		return false, nil
	}
	if err := os.Chmod(path, 0o755); err != nil {
		return false, fmt.Errorf("make the pre-commit hook executable: %w", err)
	}
	return true, nil
}

// git runs git in dir and returns its standard output. stdin, when not
// nil, is fed to it. The error carries git's own message.
func git(ctx context.Context, dir string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}
