package main

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/compose/rewrite"
	"github.com/compose-preflight/compose-preflight/internal/netnstest"
)

// moveOutside moves dir/name to dir/../outside/name and leaves a symbolic
// link in its place: a project file that lives outside the project.
func moveOutside(t *testing.T, dir, name string) {
	t.Helper()
	out := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, name), filepath.Join(out, name)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "outside", name), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// changedFiles diffs the project copy in dir against the fixture in orig:
// what a --fix run wrote, byte for byte.
func changedFiles(t *testing.T, orig, dir string) string {
	t.Helper()
	var out strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.Type()&fs.ModeSymlink != 0 {
			rel += " (a link, still)" // ReadFile follows it: the target's change shows
		}
		after, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		before, err := os.ReadFile(filepath.Join(orig, strings.TrimSuffix(rel, " (a link, still)")))
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		if !bytes.Equal(before, after) || err != nil {
			out.WriteString(rewrite.Diff(rel, before, after))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// goldenCase is read from testdata/golden/NAME/case.txt:
//
//	args: --format json          command line (split on spaces)
//	hold: tcp4 127.0.0.1:8080    sockets a "devserver" process holds (repeatable)
//	env: KEY=VALUE               environment (repeatable)
//	holder: NAME ARGS...         the holder's process name and arguments (default: devserver --serve)
//	engine: FILE                 a fake Docker engine answers containers/json with FILE
//	engine: tcp FILE             the same engine, reached over tcp://127.0.0.1:2375 (remote)
//	engine: absent               DOCKER_HOST names a socket nobody listens on
//	                             (services.json beside FILE makes the engine a swarm manager with those services)
//	container: yes               the run looks as if it were inside a container (/.dockerenv)
//	outside: FILE                FILE is moved out of the project (to ../outside/) and linked back
//
// Without an engine line the case runs with --engine=off, so that no
// engine on the test machine (or its absence) shows in the output.
// The project files sit beside it; want.golden holds the expected stdout,
// stderr and exit code. `go test -update` rewrites want.golden: review
// the diff before committing it.
type goldenCase struct {
	args      []string
	hold      []string
	env       []string
	engine    string
	holder    []string
	container bool
	outside   []string
}

func readCase(t *testing.T, path string) goldenCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return goldenCase{}
		}
		t.Fatal(err)
	}
	defer f.Close()
	var c goldenCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), ":")
		val = strings.TrimSpace(val)
		switch key {
		case "args":
			c.args = strings.Fields(val)
		case "hold":
			c.hold = append(c.hold, val)
		case "env":
			c.env = append(c.env, val)
		case "engine":
			c.engine = val
		case "outside":
			c.outside = append(c.outside, val)
		case "container":
			c.container = val == "yes"
		case "holder":
			c.holder = strings.Fields(val)
		case "":
		default:
			t.Fatalf("%s: unknown key %q", path, key)
		}
	}
	return c
}

// TestGolden runs the command on each fixture project in a fresh network
// namespace (a clean host where the fixture's ports are free unless a
// holder takes them) and compares its output with want.golden.
func TestGolden(t *testing.T) {
	if !netnstest.Isolate(t) {
		return
	}
	dirs, err := filepath.Glob("testdata/golden/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			// The command runs in a copy, so --fix never touches the fixture;
			// what it changed is shown as a diff after its output.
			abs := filepath.Join(t.TempDir(), "project")
			if err := os.CopyFS(abs, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			c := readCase(t, filepath.Join(dir, "case.txt"))
			if len(c.hold) > 0 {
				startHolder(t, strings.Join(c.hold, ","), c.holder...)
			}
			switch kind, file, _ := strings.Cut(c.engine, " "); {
			case c.engine == "":
				c.args = append([]string{"--engine=off"}, c.args...)
			case c.engine == "absent":
				c.env = append(c.env, "DOCKER_HOST=unix:///nonexistent/docker.sock")
			case kind == "tcp":
				c.env = append(c.env, "DOCKER_HOST="+serveEngine(t, "tcp", filepath.Join(dir, file)))
			default:
				c.env = append(c.env, "DOCKER_HOST="+serveEngine(t, "unix", filepath.Join(dir, c.engine)))
			}
			for _, f := range c.outside {
				moveOutside(t, abs, f)
			}
			root := t.TempDir()
			if c.container {
				if err := os.WriteFile(filepath.Join(root, ".dockerenv"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stdout, stderr, code := cliRunIn(t, abs, root, append(baseEnv(t), c.env...), c.args...)
			var got strings.Builder
			got.WriteString("$ compose-preflight " + strings.Join(c.args, " ") + "\n")
			got.WriteString(stdout)
			for _, l := range strings.SplitAfter(stderr, "\n") {
				if l != "" {
					got.WriteString("stderr: " + l)
				}
			}
			got.WriteString("exit: " + strconv.Itoa(code) + "\n")
			got.WriteString(changedFiles(t, dir, abs))
			if slices.Contains(c.args, "--fix") && !slices.Contains(c.args, "--dry-run") {
				dryRunAgrees(t, dir, root, c, abs, stdout, stderr, code, changedFiles(t, dir, abs))
			}
			text := strings.ReplaceAll(normalise(got.String(), abs), filepath.Dir(abs), "$ROOT")
			golden := filepath.Join(dir, "want.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if text != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", golden, text, want)
			}
		})
	}
}

// dryRunAgrees runs a --fix case again with --dry-run, on a fresh copy of
// the project (fixAbs is the copy --fix ran in) with the same sockets
// held, and checks that it says what --fix did: the same diff as the
// files --fix changed, the same findings and "not fixed" lines, the same
// refusal on stderr and the same exit code.
func dryRunAgrees(t *testing.T, dir, root string, c goldenCase, fixAbs, fixOut, fixErr string, fixCode int, fixDiff string) {
	t.Helper()
	abs := filepath.Join(t.TempDir(), "project")
	if err := os.CopyFS(abs, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.outside {
		moveOutside(t, abs, f)
	}
	out, errOut, code := cliRunIn(t, abs, root, append(baseEnv(t), c.env...), append(slices.Clone(c.args), "--dry-run")...)
	if wrote := changedFiles(t, dir, abs); wrote != "" {
		t.Errorf("--dry-run wrote files:\n%s", wrote)
	}
	norm := func(s, abs string) string {
		return strings.ReplaceAll(normalise(s, abs), filepath.Dir(abs), "$ROOT")
	}
	// the dry run's output: its diff, file by file, and the rest
	var files []string
	var rest strings.Builder
	inDiff := false
	for _, l := range strings.SplitAfter(out, "\n") {
		switch {
		case strings.HasPrefix(l, "--- "):
			inDiff = true
			files = append(files, "")
		case inDiff && (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "@@") || strings.HasPrefix(l, "\\")):
		default:
			inDiff = false
		}
		if inDiff {
			files[len(files)-1] += l
		} else if !strings.Contains(l, "would move; nothing written (--dry-run)") {
			rest.WriteString(l)
		}
	}
	var fixFiles []string
	for _, l := range strings.SplitAfter(strings.ReplaceAll(fixDiff, " (a link, still)", ""), "\n") {
		if strings.HasPrefix(l, "--- ") {
			fixFiles = append(fixFiles, "")
		}
		if len(fixFiles) > 0 {
			fixFiles[len(fixFiles)-1] += l
		}
	}
	slices.Sort(files)
	slices.Sort(fixFiles)
	if got, want := norm(strings.Join(files, ""), abs), norm(strings.Join(fixFiles, ""), fixAbs); got != want {
		t.Errorf("--dry-run prints another diff than --fix writes:\n--- dry run\n%s--- fix\n%s", got, want)
	}
	var fixRest strings.Builder
	for _, l := range strings.SplitAfter(fixOut, "\n") {
		if !strings.Contains(l, ": fixed: ") && !strings.Contains(l, " moved; ") && !strings.Contains(l, " moved into ") && !strings.Contains(l, "nothing to fix; ") {
			fixRest.WriteString(l)
		}
	}
	if got, want := norm(rest.String(), abs), norm(fixRest.String(), fixAbs); got != want {
		t.Errorf("--dry-run says other things than --fix:\n--- dry run\n%s--- fix\n%s", got, want)
	}
	if got, want := norm(errOut, abs), norm(fixErr, fixAbs); got != want {
		t.Errorf("--dry-run and --fix differ on stderr:\n--- dry run\n%s--- fix\n%s", got, want)
	}
	switch {
	case fixCode == exitUsage || code == exitUsage:
		if code != fixCode {
			t.Errorf("exit codes: --dry-run %d, --fix %d", code, fixCode)
		}
	case strings.Contains(fixOut, ": fixed: ") != (len(files) > 0):
		t.Errorf("--fix moved ports and --dry-run shows no diff, or the reverse:\n--- dry run\n%s--- fix\n%s", out, fixOut)
	}
}
