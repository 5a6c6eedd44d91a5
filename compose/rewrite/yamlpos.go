package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v4"
)

var utf8BOM = []byte("\uFEFF")

// parseYAMLDocs decodes every document of src, the way compose-go reads a compose file
// (it merges all documents, so a splice must keep all of them valid, not just the first).
func parseYAMLDocs(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		n := new(yaml.Node)
		err := dec.Decode(n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, n)
	}
}

// lineIndex converts the parser's 1-based line and rune-counted column to byte offsets.
// It treats the same characters as line breaks as the YAML scanner does (LF, CRLF, a lone
// CR, NEL, LS and PS), and, like the scanner, does not count a leading byte order mark as
// a column.
type lineIndex struct {
	src    []byte
	starts []int // byte offset of the first byte of each line
}

func newLineIndex(src []byte) *lineIndex {
	li := &lineIndex{src: src, starts: []int{0}}
	if bytes.HasPrefix(src, utf8BOM) {
		li.starts[0] = len(utf8BOM)
	}
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == '\r' && i+1 < len(src) && src[i+1] == '\n':
			size = 2
			fallthrough
		case r == '\n', r == '\r', r == '\u0085', r == '\u2028', r == '\u2029':
			li.starts = append(li.starts, i+size)
		}
		i += size
	}
	return li
}

// offset returns the byte offset of (line, col), both 1-based, col counted in runes.
func (li *lineIndex) offset(line, col int) (int, bool) {
	if line < 1 || line > len(li.starts) || col < 1 {
		return 0, false
	}
	off := li.starts[line-1]
	for c := 1; c < col; c++ {
		if off >= len(li.src) {
			return 0, false
		}
		_, size := utf8.DecodeRune(li.src[off:])
		off += size
	}
	return off, true
}

// position returns the 1-based line and rune-counted column of a byte offset, for
// messages; it is the inverse of offset.
func (li *lineIndex) position(off int) (line, col int) {
	line = sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off })
	if line == 0 {
		return 1, 1 // inside the byte order mark
	}
	start := li.starts[line-1]
	return line, utf8.RuneCount(li.src[start:off]) + 1
}

func (li *lineIndex) describe(off int) string {
	line, col := li.position(off)
	return fmt.Sprintf("line %d, column %d", line, col)
}
