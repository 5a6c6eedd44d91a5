package compose

import (
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestYAMLErrorAt reads positions from the YAML library's error texts: a
// scanner error (one-based lines), a parser error (zero-based: shifted),
// and a parser error on the first line, which the library prints without
// its column.
func TestYAMLErrorAt(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"a: b\nc: \"\\q\"\n", 2, 5, "found unknown escape character (while scanning a quoted scalar at line 2, column 4)"},
		{"a:\n  b: c\n d: e\n", 3, 2, "did not find expected key (while parsing a block mapping at line 1)"},
		{"  ,", 1, 0, "did not find expected node content (while parsing a block node)"},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(c.src), &n)
		if err == nil {
			t.Fatalf("%q parses", c.src)
		}
		f := &yamlFile{src: []byte(c.src), lineStarts: []int{0}}
		for i, b := range []byte(c.src) {
			if b == '\n' {
				f.lineStarts = append(f.lineStarts, i+1)
			}
		}
		line, col, msg, ok := yamlErrorAt(f, err)
		if !ok || line != c.line || col != c.col || msg != c.msg {
			t.Errorf("%q (%v): got %d:%d %q %v, want %d:%d %q", c.src, err, line, col, msg, ok, c.line, c.col, c.msg)
		}
	}
}
