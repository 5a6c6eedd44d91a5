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

// applyUnified applies a diff made by Diff to old, as patch(1) would.
func applyUnified(t *testing.T, old []byte, diff string) []byte {
	t.Helper()
	a := splitLines(old)
	lines := splitLines([]byte(diff))
	var out []string
	next := 0 // next line of a not yet copied
	i := 2    // skip the --- and +++ lines
	for i < len(lines) {
		var sa, na, sb, nb int
		h := strings.TrimSuffix(lines[i], "\n")
		if _, err := fmt.Sscanf(normalizeHunk(h), "@@ -%d,%d +%d,%d @@", &sa, &na, &sb, &nb); err != nil {
			t.Fatalf("bad hunk header %q: %v", h, err)
		}
		i++
		start := sa - 1
		if na == 0 {
			start = sa
		}
		out = append(out, a[next:start]...)
		next = start
		for i < len(lines) && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			body := l[1:]
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], `\ No newline`) {
				body = strings.TrimSuffix(body, "\n")
				i++
			}
			switch l[0] {
			case ' ':
				if a[next] != body {
					t.Fatalf("context mismatch at old line %d: %q vs %q", next+1, a[next], body)
				}
				out = append(out, body)
				next++
			case '-':
				if a[next] != body {
					t.Fatalf("deleted line mismatch at old line %d: %q vs %q", next+1, a[next], body)
				}
				next++
			case '+':
				out = append(out, body)
			default:
				t.Fatalf("bad diff line %q", l)
			}
			i++
		}
	}
	out = append(out, a[next:]...)
	return []byte(strings.Join(out, ""))
}

// normalizeHunk spells out the counts diff -u leaves out ("-3" means "-3,1").
func normalizeHunk(h string) string {
	f := strings.Fields(h)
	for i := 1; i <= 2 && i < len(f); i++ {
		if !strings.Contains(f[i], ",") {
			f[i] += ",1"
		}
	}
	return strings.Join(f, " ")
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
		if got := applyUnified(t, old, d); !bytes.Equal(got, new) {
			t.Fatalf("patch of %q with\n%s\ngives %q, want %q", old, d, got, new)
		}
		if n%25 == 0 {
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

func TestDiffFallbackBeyondMaxCost(t *testing.T) {
	old := numbered(maxDiffCost, func(i int) string { return fmt.Sprintf("old %d\n", i) })
	new := numbered(maxDiffCost, func(i int) string { return fmt.Sprintf("new %d\n", i) })
	d := Diff("big", old, new)
	if got := applyUnified(t, old, d); !bytes.Equal(got, new) {
		t.Fatal("fallback diff does not patch old into new")
	}
}
