package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/netnstest"
)

// concurrentProject has three services, one port literal, one from a .env
// variable and one on a host IP, with comments and a blank line that a
// rewrite must keep.
var concurrentProject = map[string]string{
	"compose.yaml": `# a shop, for local development
services:
  web:
    image: nginx
    ports:
      - "8080:80"   # the front end

  api:
    image: node
    ports:
      - "${API_PORT:-3000}:3000"
  db:
    image: postgres
    ports:
      - "127.0.0.1:5432:5432"
`,
	".env": "# ports for local development\nCOMPOSE_PROJECT_NAME=shop\nAPI_PORT=3000 # the API\n",
}

// TestConcurrentRuns starts 20 runs of the binary at once on one project,
// a mix of plain checks, --dry-run and --fix, with one of its ports held,
// as when a Makefile target, a git hook and an editor all run it together
// (issue #6 item 5). Every run must end with a sensible answer (a --fix
// that loses the race says so and exits 1), none may crash, and the files
// must end up either as they were or correctly fixed, with no temporary
// file left behind. It runs once with the .env port held (a variable
// edit) and once with a literal port held (a splice in compose.yaml).
func TestConcurrentRuns(t *testing.T) {
	if !netnstest.Isolate(t) {
		return
	}
	bin := binary(t)
	for _, tc := range []struct {
		name, hold, changes string
	}{
		{"env", "127.0.0.1:3000", ".env"},
		{"literal", "127.0.0.1:8080", "compose.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", tc.hold)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			concurrentRuns(t, bin, tc.changes)
		})
	}
}

func concurrentRuns(t *testing.T, bin, changes string) {
	dir := t.TempDir()
	for name, text := range concurrentProject {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// One HOME for all: the --fix lock lives in its cache folder, and
	// runs by one user share it.
	env := cleanEnv(t.TempDir())
	const runs = 20
	kinds := []string{"--fix", "--dry-run", "check"}
	results := make([]result, runs)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range runs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			var args []string
			if k := kinds[i%len(kinds)]; k != "check" {
				args = append(args, k)
			}
			ready.Done()
			<-gate
			results[i] = runBin(bin, dir, env, args...)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()

	fixed := 0
	tally := map[string]int{}
	for i, r := range results {
		kind := kinds[i%len(kinds)]
		if r.crashed() {
			t.Errorf("run %d (%s) crashed:\n%s", i, kind, r)
			continue
		}
		// Writes are atomic renames: a run always loads a whole project,
		// old or new, so a load error (2) is a torn read.
		if r.code != 0 && r.code != 1 {
			t.Errorf("run %d (%s): exit %d:\n%s", i, kind, r.code, r)
			continue
		}
		outcome := ""
		switch {
		case strings.Contains(r.stdout, "yet no listening socket holds it") ||
			strings.Contains(r.stdout, "compose-preflight (") ||
			strings.Contains(r.stdout, "that this user cannot see") ||
			strings.Contains(r.stdout, "2 conflicts") || strings.Contains(r.stdout, "2 ports would move"):
			// Only one port is held. Every run bind-probes each port that
			// looks free; two runs probing one port at once see each
			// other's probe socket as a holder (a --fix would then move a
			// port that was never taken).
			t.Errorf("run %d (%s): a free port reported in use, held by another run's bind probe:\n%s", i, kind, r)
			continue
		case strings.Contains(r.stdout, "no definition of it was found in the files"):
			// The project was loaded from one version of a file and its
			// positions read from the next, written by a --fix meanwhile.
			t.Errorf("run %d (%s): positions read from a newer file than the one loaded (a --fix wrote it in between):\n%s", i, kind, r)
			continue
		case kind == "--dry-run" && strings.Contains(r.stdout, " would move") && !strings.Contains(r.stdout, "0 ports would move") && !strings.Contains(r.stdout, "+++ "):
			// The plan was made from a load before a --fix wrote the
			// file, and applied to the file as it is now.
			t.Errorf("run %d (%s): a move announced with no diff (planned from a state older than the files):\n%s", i, kind, r)
			continue
		case kind == "--fix" && r.code == 0 && strings.Contains(r.stdout, "moved; the project now checks clean"):
			outcome = "fixed"
			fixed++
		case kind == "--fix" && r.code == 0 && strings.Contains(r.stdout, "nothing to fix; the project checks clean"):
			outcome = "nothing to fix"
		case kind == "--fix" && r.code == 1 && strings.Contains(r.stderr, "another compose-preflight --fix is running"):
			outcome = "lost the lock"
		case kind != "check" && r.code == 1 && strings.Contains(r.stderr, "nothing written") &&
			(strings.Contains(r.stderr, "changed since it was read") || strings.Contains(r.stderr, "changed since the project was loaded")):
			outcome = "refused: the file changed since it was read"
		case kind == "--dry-run" && r.code == 1 && strings.Contains(r.stdout, "1 port would move; nothing written (--dry-run)") && strings.Contains(r.stdout, "+++ "):
			outcome = "diff of the old state"
		case kind == "--dry-run" && r.code == 0 && strings.Contains(r.stdout, "0 ports would move; nothing written (--dry-run)"):
			outcome = "nothing to move"
		case kind == "check" && r.code == 1 && strings.Contains(r.stdout, "[in-use]") && strings.Contains(r.stdout, "1 conflict"):
			outcome = "saw the old state"
		case kind == "check" && r.code == 0:
			outcome = "saw the fixed state"
		default:
			t.Errorf("run %d (%s): not a sensible result:\n%s", i, kind, r)
			continue
		}
		tally[kind+": "+outcome]++
	}
	var summary []string
	for k, n := range tally {
		summary = append(summary, fmt.Sprintf("%s ×%d", k, n))
	}
	slices.Sort(summary)
	t.Logf("%d concurrent runs: %s", runs, strings.Join(summary, ", "))
	if fixed == 0 {
		t.Errorf("no --fix moved the held port: one of them holds the lock first and must succeed")
	}

	// The files: the one that defines the held port correctly fixed,
	// every other exactly as written, nothing else in the folder.
	for name, text := range concurrentProject {
		now, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		old := []byte(text)
		if name != changes {
			if !bytes.Equal(now, old) {
				t.Errorf("%s changed, but the held port is not defined there:\n%s", name, lineDiff(old, now))
			}
			continue
		}
		if bytes.Equal(now, old) {
			t.Errorf("%s is unchanged after a --fix said it moved the port", name)
			continue
		}
		if n, err := portOnlyDiff(old, now); err != nil || n != 1 {
			t.Errorf("%s: want exactly one port changed, got %d (%v):\n%s", name, n, err, lineDiff(old, now))
		}
		if name == ".env" {
			if err := envOnlyValues(old, now); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := concurrentProject[e.Name()]; !ok {
			t.Errorf("%s was left in the project folder", e.Name())
		}
	}
	if left := leftoverTemps(dir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	// With the port still held, the project now checks clean, and a
	// last --fix has nothing to do.
	if r := runBin(bin, dir, env); r.code != 0 {
		t.Errorf("a final check is not clean:\n%s", r)
	}
	if r := runBin(bin, dir, env, "--fix"); r.code != 0 || !strings.Contains(r.stdout, "nothing to fix") {
		t.Errorf("a final --fix found work to do:\n%s", r)
	}
}
