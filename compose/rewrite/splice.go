package rewrite

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Edit replaces the bytes src[Offset:End] of a YAML file, which must read Old, with New.
//
// Old is required so that a stale or miscomputed span is refused instead of silently
// corrupting the file; New must be a port or a port range ("8081", "9010-9015") because
// that is all --fix ever writes, and digits cannot change the YAML structure around them.
type Edit struct {
	Offset, End int
	Old, New    string
}

// Splice returns a copy of src with every edit applied, and nothing else changed.
//
// Byte splicing instead of re-encoding is the point: a YAML encoder rewrites comments,
// quoting, merge keys and blank lines (research/compose.md §5). Splice refuses edits
// whose span does not read Old, that overlap or touch another edit, that cut a number in
// two, or whose Old or New is not a port text. It then re-parses the result with the YAML
// library compose-go uses, every document of it, and refuses unless the node trees are
// identical (kinds, styles, tags, anchors, comments, positions shifted only by the edits)
// except for the scalars that hold an edit, whose parsed value must be the old value with
// exactly Old replaced by New. Block scalars (| and >) are refused.
//
// Splice does not know whether an edited scalar is shared through an anchor; the caller
// decides whether such an edit is wanted.
func Splice(src []byte, edits []Edit) ([]byte, error) {
	if len(edits) == 0 {
		return append([]byte(nil), src...), nil
	}
	li := newLineIndex(src)
	sorted := append([]Edit(nil), edits...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	for i, e := range sorted {
		if e.Offset < 0 || e.End < e.Offset || e.End > len(src) {
			return nil, fmt.Errorf("edit span [%d,%d) is outside the file (%d bytes)", e.Offset, e.End, len(src))
		}
		if i > 0 && sorted[i-1].End >= e.Offset {
			return nil, fmt.Errorf("edits at %s and %s overlap or touch",
				li.describe(sorted[i-1].Offset), li.describe(e.Offset))
		}
	}
	for _, e := range sorted {
		if err := checkEdit(src, li, e); err != nil {
			return nil, err
		}
	}

	oldDocs, err := parseYAMLDocs(src)
	if err != nil {
		return nil, fmt.Errorf("the file does not parse before editing: %w", err)
	}

	out := make([]byte, 0, len(src)+16*len(sorted))
	prev := 0
	for _, e := range sorted {
		out = append(out, src[prev:e.Offset]...)
		out = append(out, e.New...)
		prev = e.End
	}
	out = append(out, src[prev:]...)

	newDocs, err := parseYAMLDocs(out)
	if err != nil {
		return nil, fmt.Errorf("the edited file no longer parses: %w", err)
	}
	if err := verifySplice(src, out, oldDocs, newDocs, sorted); err != nil {
		return nil, err
	}
	return out, nil
}

// checkEdit checks one edit whose span is known to be inside src.
func checkEdit(src []byte, li *lineIndex, e Edit) error {
	at := li.describe(e.Offset)
	if got := string(src[e.Offset:e.End]); got != e.Old {
		return fmt.Errorf("edit at %s: expected %q, found %q (the file changed since it was read?)", at, e.Old, got)
	}
	if !validPort(e.Old) {
		return fmt.Errorf("edit at %s: %q is not a port or port range", at, e.Old)
	}
	if !validPort(e.New) {
		return fmt.Errorf("edit at %s: refusing to write %q: not a port (1-65535) or port range", at, e.New)
	}
	if (e.Offset > 0 && isDigit(src[e.Offset-1])) || (e.End < len(src) && isDigit(src[e.End])) {
		return fmt.Errorf("edit at %s: span %q is part of a longer number", at, e.Old)
	}
	return nil
}

// scalarPair is a scalar of the original tree, its counterpart in the edited tree, and
// where it starts in the original bytes.
type scalarPair struct {
	old, new *yaml.Node
	offset   int
}

func verifySplice(src, out []byte, oldDocs, newDocs []*yaml.Node, edits []Edit) error {
	if len(oldDocs) != len(newDocs) {
		return fmt.Errorf("the edit changed the number of YAML documents from %d to %d", len(oldDocs), len(newDocs))
	}
	c := &treeCompare{
		oldIdx: newLineIndex(src),
		newIdx: newLineIndex(out),
		edits:  edits,
	}
	for i := range oldDocs {
		if err := c.compare(oldDocs[i], newDocs[i]); err != nil {
			return err
		}
	}
	// Walk order is source order, but sort anyway: the search below depends on it.
	sort.SliceStable(c.scalars, func(i, j int) bool { return c.scalars[i].offset < c.scalars[j].offset })

	byScalar := make(map[int][]Edit)
	for _, e := range edits {
		i := sort.Search(len(c.scalars), func(i int) bool { return c.scalars[i].offset > e.Offset }) - 1
		if i < 0 {
			return fmt.Errorf("edit at %s is not inside a YAML scalar", c.oldIdx.describe(e.Offset))
		}
		byScalar[i] = append(byScalar[i], e)
	}
	for i, p := range c.scalars {
		es, edited := byScalar[i]
		if !edited {
			if p.old.Value != p.new.Value || p.old.Tag != p.new.Tag {
				return fmt.Errorf("the edit changed the scalar at %s from %q to %q",
					c.oldIdx.describe(p.offset), p.old.Value, p.new.Value)
			}
			continue
		}
		at := c.oldIdx.describe(es[0].Offset)
		if p.old.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return fmt.Errorf("edit at %s is inside a block scalar (| or >): edit it by hand", at)
		}
		if !matchEdits(p.old.Value, p.new.Value, es) {
			return fmt.Errorf("edit at %s does not change the scalar %q as intended (it now reads %q): the span is not inside the scalar's text",
				at, p.old.Value, p.new.Value)
		}
	}
	return nil
}

// treeCompare walks the original and the edited trees in step.
type treeCompare struct {
	oldIdx, newIdx *lineIndex
	edits          []Edit
	scalars        []scalarPair
}

// shift maps an offset of the original to the edited bytes: it moves by the length
// change of every edit that ends at or before it.
func (c *treeCompare) shift(off int) int {
	delta := 0 // off stays in the original's coordinates while edits are compared
	for _, e := range c.edits {
		if e.End <= off {
			delta += len(e.New) - len(e.Old)
		}
	}
	return off + delta
}

func (c *treeCompare) compare(o, n *yaml.Node) error {
	oOff, ok1 := c.oldIdx.offset(o.Line, o.Column)
	nOff, ok2 := c.newIdx.offset(n.Line, n.Column)
	where := fmt.Sprintf("line %d, column %d", o.Line, o.Column)
	switch {
	case !ok1 || !ok2:
		return fmt.Errorf("the YAML node at %s has no valid position", where)
	case o.Kind != n.Kind || o.Style != n.Style || o.Anchor != n.Anchor:
		return fmt.Errorf("the edit changed the YAML structure at %s", where)
	case o.HeadComment != n.HeadComment || o.LineComment != n.LineComment || o.FootComment != n.FootComment:
		return fmt.Errorf("the edit changed a comment near %s", where)
	case c.shift(oOff) != nOff:
		return fmt.Errorf("the edit moved the YAML node at %s", where)
	case len(o.Content) != len(n.Content):
		return fmt.Errorf("the edit changed the number of entries at %s", where)
	}
	switch o.Kind {
	case yaml.ScalarNode:
		// Values and tags are compared once it is known which scalars hold an edit:
		// "5432" may legitimately become "5433", nothing else may change.
		c.scalars = append(c.scalars, scalarPair{old: o, new: n, offset: oOff})
	case yaml.AliasNode:
		if o.Value != n.Value {
			return fmt.Errorf("the edit changed the alias at %s", where)
		}
	}
	for i := range o.Content {
		if err := c.compare(o.Content[i], n.Content[i]); err != nil {
			return err
		}
	}
	return nil
}

// matchEdits reports whether newV is oldV with each edit's Old replaced by its New, in
// order, at some occurrence. Positions inside the parsed value differ from byte offsets
// (quotes, anchors, tags), so the occurrences are searched; with digit-only edits any
// match proves that exactly those digits changed.
func matchEdits(oldV, newV string, edits []Edit) bool {
	if len(edits) == 0 {
		return oldV == newV
	}
	e := edits[0]
	for from := 0; from <= len(oldV); {
		j := strings.Index(oldV[from:], e.Old)
		if j < 0 {
			return false
		}
		j += from
		head := oldV[:j] + e.New
		if strings.HasPrefix(newV, head) && matchEdits(oldV[j+len(e.Old):], newV[len(head):], edits[1:]) {
			return true
		}
		from = j + 1
	}
	return false
}
