package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// diffU runs the system's diff -u with the same labels Diff prints.
func diffU(t *testing.T, old, new []byte) string {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff command")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, new, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("diff", "-u", "--label", "a/compose.yaml", "--label", "b/compose.yaml", a, b).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("diff -u: %v", err)
	}
	return string(out)
}

func numbered(n int, f func(i int) string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		b.WriteString(f(i))
	}
	return b.Bytes()
}

func TestDiffMatchesDiffU(t *testing.T) {
	base := numbered(40, func(i int) string { return fmt.Sprintf("line %d\n", i) })
	change := func(src []byte, from, to string) []byte {
		return bytes.Replace(src, []byte(from), []byte(to), 1)
	}
	compose := []byte("services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"     # main\n      - 127.0.0.1:8443:443\n\n  db:\n    image: postgres\n    ports:\n      - target: 5432\n        published: 5432   # int\n")
	cases := []struct {
		name     string
		old, new []byte
	}{
		{"one line", base, change(base, "line 20\n", "line twenty\n")},
		{"first line", base, change(base, "line 1\n", "line one\n")},
		{"last line", base, change(base, "line 40\n", "line forty\n")},
		{"two changes merged into one hunk", base, change(change(base, "line 10\n", "x\n"), "line 16\n", "y\n")},
		{"two hunks", base, change(change(base, "line 10\n", "x\n"), "line 17\n", "y\n")},
		{"insert at start", base, append([]byte("new\n"), base...)},
		{"append", base, append(append([]byte(nil), base...), "new\n"...)},
		{"delete lines", base, change(base, "line 5\nline 6\nline 7\n", "")},
		{"add final newline", []byte("a\nb"), []byte("a\nb\n")},
		{"remove final newline", []byte("a\nb\n"), []byte("a\nb")},
		{"change last line without newline", []byte("a\nb\nc"), []byte("a\nb\nd")},
		{"empty to something", []byte{}, []byte("a\nb\n")},
		{"something to empty", []byte("a\nb\n"), []byte{}},
		{"crlf", []byte("a\r\nb\r\nc\r\n"), []byte("a\r\nB\r\nc\r\n")},
		{"compose ports", compose, change(change(compose, "8080:80", "8081:80"), "published: 5432", "published: 5433")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Diff("compose.yaml", c.old, c.new)
			if want := diffU(t, c.old, c.new); got != want {
				t.Errorf("Diff:\n%s\ndiff -u:\n%s", got, want)
			}
		})
	}
}

func TestDiffEqualAndNewFile(t *testing.T) {
	if got := Diff("x", []byte("a\n"), []byte("a\n")); got != "" {
		t.Errorf("equal files: %q", got)
	}
	got := Diff(filepath.Join("sub", ".env"), nil, []byte("WEB_PORT=8081\n"))
	want := "--- /dev/null\n+++ b/sub/.env\n@@ -0,0 +1 @@\n+WEB_PORT=8081\n"
	if got != want {
		t.Errorf("new file:\n%s\nwant:\n%s", got, want)
	}
}

// applyWith applies a diff made by Diff to old with a real tool, in a temporary
// folder holding old as the file the diff names: "patch" (patch -p1, refusing any
// fuzz, the way a user applies a --dry-run output) or "git" (git apply, which is
// stricter about the format: it checks every hunk's counts and the "\ No newline"
// markers). It returns the patched file.
func applyWith(t *testing.T, tool, name string, old []byte, diff string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("no %s command", tool)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if old != nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var cmd *exec.Cmd
	switch tool {
	case "patch":
		cmd = exec.Command("patch", "-p1", "--batch", "--fuzz=0", "--no-backup-if-mismatch", "--quiet")
	case "git":
		cmd = exec.Command("git", "apply", "--whitespace=nowarn", "-")
		cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	}
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s refuses the diff: %v\n%s\ndiff:\n%s", tool, err, out, diff)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestDiffApplies holds --dry-run's promise: patch and git apply both accept the
// diff and turn each old file into the new one byte for byte, final line breaks,
// CRLF and new files included.
func TestDiffApplies(t *testing.T) {
	base := numbered(40, func(i int) string { return fmt.Sprintf("line %d\n", i) })
	cases := []struct {
		name     string
		old, new []byte
	}{
		{"one line", base, bytes.Replace(base, []byte("line 20\n"), []byte("line twenty\n"), 1)},
		{"add final newline", []byte("a\nb"), []byte("a\nb\n")},
		{"remove final newline", []byte("a\nb\n"), []byte("a\nb")},
		{"change last line without newline", []byte("a\nb\nc"), []byte("a\nb\nd")},
		{"crlf", []byte("a\r\nb\r\nc\r\n"), []byte("a\r\nB\r\nc\r\n")},
		{"new file", nil, []byte("WEB_PORT=8081\n")},
		{"every line", numbered(1000, func(i int) string { return fmt.Sprintf("old %d\n", i) }), numbered(1000, func(i int) string { return fmt.Sprintf("new %d\n", i) })},
	}
	for _, c := range cases {
		for _, tool := range []string{"patch", "git"} {
			t.Run(c.name+"/"+tool, func(t *testing.T) {
				d := Diff("sub/compose.yaml", c.old, c.new)
				if got := applyWith(t, tool, "sub/compose.yaml", c.old, d); !bytes.Equal(got, c.new) {
					t.Fatalf("%s gives %q, want %q\ndiff:\n%s", tool, got, c.new, d)
				}
			})
		}
	}
}

func TestDiffRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "c\n", "ports:\n", "- \"8080:80\"\n", "\n", "x"}
	for n := 0; n < 500; n++ {
		gen := func() []byte {
			var b bytes.Buffer
			for i := r.IntN(30); i > 0; i-- {
				w := words[r.IntN(len(words))]
				if w == "x" && i != 1 {
					w = "x\n"
				}
				b.WriteString(w)
			}
			return b.Bytes()
		}
		old, new := gen(), gen()
		d := Diff("f", old, new)
		if bytes.Equal(old, new) {
			continue
		}
		if n%5 == 0 {
			for _, tool := range []string{"patch", "git"} {
				if got := applyWith(t, tool, "f", old, d); !bytes.Equal(got, new) {
					t.Fatalf("%s of %q with\n%s\ngives %q, want %q", tool, old, d, got, new)
				}
			}
			// The edit script is minimal, so the number of changed lines must equal diff -u's
			// (the choice between equal-cost scripts may differ).
			want := diffU(t, old, new)
			if countChanged(d) != countChanged(want) {
				t.Fatalf("Diff changes %d lines, diff -u %d:\n%s\n%s", countChanged(d), countChanged(want), d, want)
			}
		}
	}
}

func countChanged(d string) int {
	n := 0
	for _, l := range strings.Split(d, "\n") {
		if (strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++")) || (strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---")) {
			n++
		}
	}
	return n
}
