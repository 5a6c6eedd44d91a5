package examplestest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippetFiles are the example files the README shows in full.
func snippetFiles() []string {
	return []string{
		"examples/ci/pre-commit-config.yaml",
		"examples/make/Makefile",
		"examples/ci/github-actions.yml",
		"examples/ci/github-actions-recursive.yml",
		"examples/ci/lefthook.yml",
	}
}

var snippetMarker = regexp.MustCompile(`^<!-- snippet: (\S+) -->\s*$`)

// snippets returns, for each `<!-- snippet: PATH -->` marker in a Markdown
// document, the content of the fenced code block that follows it.
func snippets(t *testing.T, doc string) map[string]string {
	t.Helper()
	lines := strings.SplitAfter(doc, "\n")
	found := map[string]string{}
	for i := 0; i < len(lines); i++ {
		m := snippetMarker.FindStringSubmatch(strings.TrimRight(lines[i], "\r\n"))
		if m == nil {
			continue
		}
		path := m[1]
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) {
			t.Errorf("snippet %s: no fenced block after the marker", path)
			continue
		}
		open := strings.TrimRight(lines[j], "\r\n")
		fence := strings.TrimLeft(open, " ")
		fenceChars := fence[:len(fence)-len(strings.TrimLeft(fence, "`~"))]
		if len(fenceChars) < 3 || strings.Trim(fenceChars, fenceChars[:1]) != "" {
			t.Errorf("snippet %s: the marker is not followed by a fenced block: %q", path, open)
			continue
		}
		var body strings.Builder
		closed := false
		for j++; j < len(lines); j++ {
			l := strings.TrimSpace(lines[j])
			if strings.HasPrefix(l, fenceChars) && strings.Trim(l, fenceChars[:1]) == "" {
				closed = true
				break
			}
			body.WriteString(lines[j])
		}
		if !closed {
			t.Errorf("snippet %s: unclosed fenced block", path)
			continue
		}
		if _, dup := found[path]; dup {
			t.Errorf("snippet %s appears twice", path)
		}
		found[path] = body.String()
		i = j
	}
	return found
}

// checkSnippets fails for every snippet in doc that differs from its file
// (byte for byte) and returns the snippets doc has.
func checkSnippets(t *testing.T, docPath string) map[string]string {
	t.Helper()
	root := repoRoot(t)
	found := snippets(t, readFile(t, docPath))
	for path, body := range found {
		want, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("%s: snippet of %s: %v", docPath, path, err)
			continue
		}
		if body != string(want) {
			t.Errorf("%s: the snippet of %s differs from the file; paste the file again:\n--- snippet\n%s--- file\n%s", docPath, path, body, want)
		}
	}
	return found
}

// TestREADMESnippets keeps every example the README shows byte-identical
// to the example file, which the other tests run, and requires the README
// to show each of them.
func TestREADMESnippets(t *testing.T) {
	readme := filepath.Join(repoRoot(t), "README.md")
	found := checkSnippets(t, readme)
	for _, path := range snippetFiles() {
		if _, ok := found[path]; !ok {
			t.Errorf("README.md has no snippet of %s (add <!-- snippet: %s --> before its block)", path, path)
		}
	}
}

func TestSnippetParser(t *testing.T) {
	doc := "intro\n<!-- snippet: a.txt -->\n\n````make\nx:\n\t```\n````\n<!-- snippet: b.txt -->\n~~~\ny\n~~~\n"
	got := snippets(t, doc)
	if got["a.txt"] != "x:\n\t```\n" || got["b.txt"] != "y\n" || len(got) != 2 {
		t.Fatalf("parsed %q", got)
	}
}
