package rewrite

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// diffContext is the number of unchanged lines around each change, as in diff -u.
const diffContext = 3

// maxDiffCost bounds the Myers search. Past it, the rest of the files is shown as one
// block removed and added: still a correct patch, only less minimal, and it keeps the
// memory bounded for pathological inputs (--fix itself changes a few lines).
const maxDiffCost = 1000

// Diff returns the changes from old to new as a unified diff with three lines of context
// ("--- a/path", "+++ b/path", "@@ -l,n +l,n @@"), the format of diff -u and git diff,
// for --dry-run; path is the name to show, best relative to the project directory as
// git shows it. It returns "" when nothing changed. A nil old is shown as a new file
// (--- /dev/null). A last line without a line break is marked "\ No newline at end of
// file", so a patch made from the output restores the files byte for byte.
//
// It is implemented here rather than imported: the only diff library in the module
// graph, pmezard/go-difflib, is unmaintained since 2016 and cannot mark a missing
// final newline.
func Diff(path string, old, new []byte) string {
	if old != nil && bytes.Equal(old, new) {
		return ""
	}
	a, b := splitLines(old), splitLines(new)
	ops := diffLines(a, b)

	var sb strings.Builder
	p := filepath.ToSlash(path)
	if old == nil {
		sb.WriteString("--- /dev/null\n")
	} else {
		fmt.Fprintf(&sb, "--- a/%s\n", p)
	}
	fmt.Fprintf(&sb, "+++ b/%s\n", p)

	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk starts up to diffContext lines before this change and grows while the
		// next change is at most 2*diffContext unchanged lines away.
		start := max(i-diffContext, 0)
		for start < i && ops[start].kind != ' ' {
			start++
		}
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			gap := end
			for gap < len(ops) && ops[gap].kind == ' ' {
				gap++
			}
			if gap == len(ops) || gap-end > 2*diffContext {
				end = min(end+diffContext, gap)
				break
			}
			end = gap
		}
		writeHunk(&sb, a, b, ops[start:end])
		i = end
	}
	return sb.String()
}

type diffOp struct {
	kind byte // ' ' same, '-' only in old, '+' only in new
	a, b int  // line index in old and new (the position before which an insertion goes)
}

func writeHunk(sb *strings.Builder, a, b []string, ops []diffOp) {
	var na, nb int
	for _, op := range ops {
		if op.kind != '+' {
			na++
		}
		if op.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(ops[0].a, na), hunkRange(ops[0].b, nb))
	for _, op := range ops {
		line := ""
		switch op.kind {
		case '+':
			line = b[op.b]
		default:
			line = a[op.a]
		}
		sb.WriteByte(op.kind)
		sb.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats "start,count" the way diff -u does: a count of 1 is left out, and an
// empty range names the line before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}

// splitLines splits after each "\n", keeping it; a last line without one is kept as is.
func splitLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, string(s[:i]))
		s = s[i:]
	}
	return lines
}

// diffLines returns a shortest edit script from a to b (Myers' O(ND) algorithm on what
// is left after the common prefix and suffix), with deletions before insertions inside
// each changed block, as diff -u prints them.
func diffLines(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', i, i})
	}
	mid := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for _, op := range mid {
		ops = append(ops, diffOp{op.kind, op.a + pre, op.b + pre})
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, diffOp{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return groupChanges(ops)
}

// groupChanges reorders each run of changes so its deletions come first.
func groupChanges(ops []diffOp) []diffOp {
	out := make([]diffOp, 0, len(ops))
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			out = append(out, ops[i])
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind != ' ' {
			j++
		}
		// Positions are re-based on the start of the block: deletions sit at the
		// block's start in new, insertions after the deletions in old, which is what
		// the hunk header of a block that starts with either must say.
		a0, b0, dels := ops[i].a, ops[i].b, 0
		for _, op := range ops[i:j] {
			if op.kind == '-' {
				out = append(out, diffOp{'-', op.a, b0})
				dels++
			}
		}
		for _, op := range ops[i:j] {
			if op.kind == '+' {
				out = append(out, diffOp{'+', a0 + dels, op.b})
			}
		}
		i = j
	}
	return out
}

func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	limit := min(n+m, maxDiffCost)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		ops := make([]diffOp, 0, n+m)
		for i := range n {
			ops = append(ops, diffOp{'-', i, 0})
		}
		for j := range m {
			ops = append(ops, diffOp{'+', n, j})
		}
		return ops
	}

	// Walk back through the saved frontiers; trace[d] holds v[-d-1..d+1] before step d.
	var rev []diffOp
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d]
		at := func(k int) int { return prev[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, diffOp{' ', x, y})
		}
		if x == px {
			y--
			rev = append(rev, diffOp{'+', x, y})
		} else {
			x--
			rev = append(rev, diffOp{'-', x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, diffOp{' ', x, y})
	}
	ops := make([]diffOp, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}
