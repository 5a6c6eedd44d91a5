package rewrite

import (
	"bytes"
	"path/filepath"

	"github.com/aymanbagabas/go-udiff"
)

// Diff returns the changes from old to new as a unified diff with three lines of context
// ("--- a/path", "+++ b/path", "@@ -l,n +l,n @@"), the format of diff -u and git diff,
// for --dry-run; path is the name to show, best relative to the project directory as
// git shows it. It returns "" when nothing changed. A nil old is shown as a new file
// (--- /dev/null). A last line without a line break is marked "\ No newline at end of
// file", so a patch made from the output restores the files byte for byte.
//
// The diff is go-udiff's (a maintained extraction of the Go team's own diff package,
// the one gopls uses); only the labels are ours.
func Diff(path string, old, new []byte) string {
	if old != nil && bytes.Equal(old, new) {
		return ""
	}
	p := filepath.ToSlash(path)
	from := "a/" + p
	if old == nil {
		from = "/dev/null"
	}
	return udiff.Unified(from, "b/"+p, string(old), string(new))
}
