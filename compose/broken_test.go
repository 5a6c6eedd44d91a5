package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// caseBound is how long one hostile case may take before it counts as a
// hang. It is far above what any case needs: it only keeps a regression
// from hanging CI, it is not a performance assertion.
const caseBound = 30 * time.Second

// brokenSetup creates, at test time, what cannot or should not be
// committed: special files, generated giant inputs.
var brokenSetup = map[string]func(t *testing.T, dir string){
	"fifo-compose":          func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "compose.yaml")) },
	"fifo-env-file":         func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "app.env")) },
	"fifo-service-env-file": func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "app.env")) },
	"fifo-include":          func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "inc.yaml")) },
	"compose-is-dir":        func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "compose.yaml")) },
	"env-file-dir":          func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "app.env")) },
	"dangling-symlink": func(t *testing.T, dir string) {
		if err := os.Symlink("gone.yaml", filepath.Join(dir, "compose.yaml")); err != nil {
			t.Fatal(err)
		}
	},
	"deep-nesting-flow": func(t *testing.T, dir string) {
		n := 100_000
		writeFile(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx\nx-deep: "+strings.Repeat("[", n)+strings.Repeat("]", n)+"\n")
	},
	"deep-nesting-map": func(t *testing.T, dir string) {
		n := 100_000
		writeFile(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx\nx-deep: "+strings.Repeat("{a: ", n)+"1"+strings.Repeat("}", n)+"\n")
	},
	"huge-file": func(t *testing.T, dir string) { writeHuge(t, filepath.Join(dir, "compose.yaml"), 50<<20) },
}

// writeHuge writes a valid compose file of about size bytes: one service
// with a very long list of labels, the shape a generated file takes.
func writeHuge(t *testing.T, path string, size int) {
	t.Helper()
	var b strings.Builder
	b.Grow(size + 100)
	b.WriteString("services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n    labels:\n")
	for i := 0; b.Len() < size; i++ {
		b.WriteString("      - label.number.")
		b.WriteString(strings.Repeat("x", 40))
		b.WriteString("=value\n")
	}
	writeFile(t, path, b.String())
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyCase copies a case's committed files into a fresh temporary
// directory, so a case can add FIFOs and giant files without touching the
// checkout.
func copyCase(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if rel == "want.txt" || rel == "options" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadBounded runs Load in a goroutine and fails the test, instead of
// hanging it, when Load does not return within caseBound.
func loadBounded(t *testing.T, opts Options) (*Project, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), caseBound)
	defer cancel()
	type result struct {
		p   *Project
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := Load(ctx, opts)
		done <- result{p, err}
	}()
	timer := time.NewTimer(caseBound + 5*time.Second)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.p, r.err
	case <-timer.C:
		t.Fatalf("Load did not return within %v: it hangs", caseBound+5*time.Second)
		return nil, nil
	}
}

// peakHeap samples the heap while f runs and returns the highest
// HeapAlloc seen, in MiB. Sampling every few milliseconds misses short
// spikes, so it is a lower bound on the peak, reported for information.
func peakHeap(f func()) float64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var top uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			top = max(top, m.HeapAlloc)
			select {
			case <-stop:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	top := <-peak
	return float64(top) / (1 << 20)
}

// TestBroken runs every case of testdata/broken through Load. A case is a
// project directory with an optional "options" file (see caseOptions) and
// want.txt: the exact one-line error, or "loads:" followed by the rendered
// project for inputs that must load (BOM, CRLF). Paths under the case's
// temporary directory are written as $DIR. Run with -update to regenerate
// want.txt, then review the diff.
func TestBroken(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "broken", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no broken cases")
	}
	for _, from := range dirs {
		name := filepath.Base(from)
		t.Run(name, func(t *testing.T) {
			dir := copyCase(t, from)
			if setup := brokenSetup[name]; setup != nil {
				setup(t, dir)
			}
			// the options file is read from the case itself; relative
			// paths in it resolve against the copy
			opts := caseOptions(t, from)
			opts.WorkingDir = dir
			runBroken(t, from, dir, opts)
		})
	}
}

func runBroken(t *testing.T, from, dir string, opts Options) {
	t.Helper()
	var p *Project
	var err error
	peak := peakHeap(func() { p, err = loadBounded(t, opts) })
	t.Logf("peak heap %.1f MiB", peak)
	var got string
	if err == nil {
		checkSpans(t, p)
		got = "loads:\n" + renderShort(p, dir)
	} else {
		var le *LoadError
		if !errors.As(err, &le) {
			t.Errorf("error %T is not a *LoadError: %v", err, err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("message spans several lines: %q", msg)
		}
		if le != nil && le.File != "" && !strings.Contains(msg, filepath.Base(le.File)) {
			t.Errorf("message %q does not name the file %s", msg, le.File)
		}
		if le != nil && le.Line > 0 && !strings.Contains(msg, ":"+strconv.Itoa(le.Line)+":") {
			t.Errorf("message %q does not name line %d", msg, le.Line)
		}
		got = strings.ReplaceAll(msg, dir, "$DIR") + "\n"
	}
	golden := filepath.Join(from, "want.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, rerr := os.ReadFile(golden)
	if rerr != nil {
		t.Fatalf("%v (run go test ./compose/ -run TestBroken -update)", rerr)
	}
	if !strings.HasPrefix(string(want), "loads:") && err == nil {
		t.Fatalf("loaded, want the error %q", want)
	}
	if got != string(want) {
		t.Errorf("differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// renderShort is render with long binding lists cut to their first and
// last few: an equal range such as 1-65535:1-65535 yields 65535 bindings,
// and the golden file needs the ends and the count, not 6 MB.
func renderShort(p *Project, dir string) string {
	const keep = 3
	if len(p.Bindings) <= 2*keep {
		return render(p, dir)
	}
	short := *p
	short.Bindings = append(slices.Clone(p.Bindings[:keep]), p.Bindings[len(p.Bindings)-keep:]...)
	return render(&short, dir) + fmt.Sprintf("(%d bindings, %d shown)\n", len(p.Bindings), 2*keep)
}
