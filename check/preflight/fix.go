package preflight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// Move is one set of bindings that change port together: those defined by
// the same places (an expanded range "8000-8002:8000-8002" is three
// bindings of one text) or fed by the same variable.
type Move struct {
	bindings []int  // indexes into the project's bindings
	from     uint16 // the first port now
	width    int    // ports in the text (a range keeps its width)
	// widen is the width the text takes instead, when the service runs
	// more replicas than it has ports: "8080" with 3 replicas becomes a
	// range such as "8081-8083". 0 keeps the width.
	widen   int
	to      uint16 // the first port after the move
	finding check.Finding
	// edits and envs are where the move is written; manual says why it
	// cannot be, and what to change by hand.
	edits  []fileEdit
	envs   []envEdit
	manual string
}

type fileEdit struct {
	src  compose.Source
	edit rewrite.Edit
}

type envEdit struct {
	file string // the env file (created when absent from the disk)
	key  string
	used compose.Source // the compose file place that uses it
}

// Finding is the finding the move resolves (the first of its bindings').
func (m *Move) Finding() check.Finding { return m.finding }

// To is the first port after the move; 0 when no free port was found
// (Manual says so).
func (m *Move) To() uint16 { return m.to }

// Manual says why a fix leaves the move to a human ("" when a fix writes
// it): a variable set in the shell, a port defined in a block scalar, no
// free port.
func (m *Move) Manual() string { return m.manual }

// String is the move as the text of the port changes: "8080 -> 8081",
// "9000-9002 -> 9010-9012".
func (m *Move) String() string { return m.oldText() + " -> " + m.newText() }

// newWidth is how many ports the moved text names.
func (m *Move) newWidth() int {
	if m.widen > 0 {
		return m.widen
	}
	return m.width
}

func (m *Move) newText() string {
	if w := m.newWidth(); w > 1 {
		return fmt.Sprintf("%d-%d", m.to, int(m.to)+w-1)
	}
	return strconv.Itoa(int(m.to))
}

func (m *Move) oldText() string {
	if m.width > 1 {
		return fmt.Sprintf("%d-%d", m.from, int(m.from)+m.width-1)
	}
	return strconv.Itoa(int(m.from))
}

// fixable are the findings --fix resolves by moving a port (replicas: by
// turning it into a range wide enough for them all).
func fixable(k check.Kind) bool {
	return k == check.KindInUse || k == check.KindShadowed || k == check.KindDuplicate || k == check.KindReplicas
}

// sourceKey identifies what a binding's port is written in: its places in
// the files, or the variable that feeds it.
func sourceKey(b compose.Binding) string {
	var keys []string
	for _, s := range b.Sources {
		switch {
		case s.Variable != nil && s.Unsafe == "":
			keys = append(keys, "var:"+s.Variable.Name)
		case s.Literal && s.Unsafe == "":
			keys = append(keys, fmt.Sprintf("%s:%d", s.File, s.Offset))
		default:
			// no byte span: the scalar's position tells one entry from
			// another (their Offsets are all 0)
			keys = append(keys, fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column))
		}
	}
	sort.Strings(keys)
	return strings.Join(slices.Compact(keys), "\x00")
}

// planMoves groups the bindings to move and picks their new ports.
func (r *Result) planMoves(pk *check.Picker) []*Move {
	bykey := map[string]*Move{}
	// the bindings written by each text, found once: a project that
	// publishes 1-65535 has 65,535 bindings
	members := map[string][]int{}
	for i, o := range r.Project.Bindings {
		if len(o.Sources) > 0 {
			k := sourceKey(o)
			members[k] = append(members[k], i)
		}
	}
	var moves []*Move
	for _, f := range r.Findings {
		if f.Severity != check.Error || !fixable(f.Kind) || f.Binding < 0 {
			continue
		}
		b := r.Project.Bindings[f.Binding]
		key := sourceKey(b)
		if key == "" {
			key = fmt.Sprintf("binding:%d", f.Binding)
		}
		if bykey[key] != nil {
			continue
		}
		m := &Move{finding: f}
		bykey[key] = m
		moves = append(moves, m)
		m.bindings = members[key]
		if !slices.Contains(m.bindings, f.Binding) {
			m.bindings = []int{f.Binding}
		}
		// The move spans every port its text names: an expanded range moves
		// as one window, so its container ports keep matching.
		lo, hi := r.Input.Bindings[f.Binding].Published, r.Input.Bindings[f.Binding].Last
		for _, i := range m.bindings {
			cb := r.Input.Bindings[i]
			lo, hi = min(lo, cb.Published), max(hi, cb.Last)
		}
		m.from, m.width = lo, int(hi)-int(lo)+1
		want := r.Input.Bindings[f.Binding]
		want.Published, want.Last = lo, hi
		if len(m.bindings) == 1 && want.Replicas > want.Width() {
			// More replicas than ports: the new text is a range with a port
			// for each (the picker finds a window that wide).
			m.widen = want.Replicas
		} else {
			want.Replicas = 1
		}
		to, ok := pk.Pick(want)
		if !ok {
			m.manual = fmt.Sprintf("no free port above %d for %s", lo, want)
			continue
		}
		m.to = to
		r.planSources(m)
	}
	return moves
}

// planSources decides where each definition of a move is written.
func (r *Result) planSources(m *Move) {
	seenVar := map[string]bool{}
	for _, i := range m.bindings {
		for _, s := range r.Project.Bindings[i].Sources {
			switch {
			case s.Unsafe != "":
				m.manual = s.Unsafe
				if i != m.finding.Binding || s.File != r.Project.Bindings[i].Sources[0].File || s.Offset != r.Project.Bindings[i].Sources[0].Offset {
					m.manual = fmt.Sprintf("%s at %s:%d:%d", s.Unsafe, r.Rel(s.File), s.Line, s.Column)
				}
				return
			case s.Variable != nil:
				v := s.Variable
				if seenVar[v.Name] {
					continue
				}
				seenVar[v.Name] = true
				if uses := varExpr(v.Name).FindAllStringIndex(s.Text, -1); len(uses) > 1 {
					m.manual = fmt.Sprintf("%s also sets another part of %q, which would move too: change the published port by hand", v.Name, s.Text)
					return
				}
				switch v.Origin {
				case compose.OriginShell:
					m.manual = fmt.Sprintf("%s is set in the shell environment: set %s=%s there", v.Name, v.Name, m.newText())
					return
				case compose.OriginEnvFile:
					m.envs = append(m.envs, envEdit{file: v.File, key: v.Name, used: s})
				default:
					file, err := r.defaultEnvFile()
					if err != nil {
						m.manual = fmt.Sprintf("%s is unset and %v: set %s=%s by hand", v.Name, err, v.Name, m.newText())
						return
					}
					m.envs = append(m.envs, envEdit{file: file, key: v.Name, used: s})
				}
			case s.Literal:
				if slices.ContainsFunc(m.edits, func(e fileEdit) bool { return e.src.File == s.File && e.src.Offset == s.Offset }) {
					continue
				}
				m.edits = append(m.edits, fileEdit{src: s, edit: rewrite.Edit{Offset: s.Offset, End: s.End, New: m.newText()}})
			default:
				m.manual = fmt.Sprintf("the port's source at %s:%d:%d is not known", r.Rel(s.File), s.Line, s.Column)
				return
			}
		}
	}
	if len(m.edits) == 0 && len(m.envs) == 0 {
		m.manual = "no definition of it was found in the files"
	}
}

// defaultEnvFile is where a variable that only has a default is set: the
// last env file compose reads (it takes precedence), or a new .env in the
// project directory.
func (r *Result) defaultEnvFile() (string, error) {
	if n := len(r.Project.EnvFiles); n > 0 {
		return r.Project.EnvFiles[n-1], nil
	}
	if _, off := compose.LookupEnv(r.opts.Load.Environ, "COMPOSE_DISABLE_ENV_FILE"); off {
		return "", fmt.Errorf("COMPOSE_DISABLE_ENV_FILE is set")
	}
	return filepath.Join(r.Project.WorkingDir, ".env"), nil
}

// reason says why a move was needed, for its "fixed:" line.
func (r *Result) reason(m *Move) string {
	f := m.finding
	if m.widen > 0 {
		return fmt.Sprintf("%d replicas need a port each", m.widen)
	}
	if f.Kind == check.KindDuplicate {
		o := r.Input.Bindings[f.Other]
		return fmt.Sprintf("service %q publishes %s too", o.Service, o)
	}
	if len(f.Holders) > 0 {
		h := f.Holders[0]
		if h.Container != nil {
			return fmt.Sprintf("%d is held by container %s", f.Port, h.Container.Name)
		}
		if h.Owner != nil {
			return fmt.Sprintf("%d is held by pid %d %s", f.Port, h.Owner.PID, h.Owner.Name)
		}
	}
	return fmt.Sprintf("%d is taken", f.Port)
}

// Fixed is what a fix wrote (or, in a dry run, would write), with the
// lines that say what it did.
type Fixed struct {
	// Changes are the files written, each with its old and new contents
	// (Old is nil for a file the fix created).
	Changes []rewrite.Change
	// Lines say what moved, one per definition changed:
	// "compose.yaml:12:9: fixed: service "web" 8080 -> 8081 (...)".
	Lines []string
	// Manual are the moves left to a human, each with the reason:
	// "compose.yaml:12:9: not fixed: service "web" 8080 -> 8081: ...".
	Manual []string
	// Moved are the moves written.
	Moved []*Move
	// Remaining counts the error findings the fix leaves.
	Remaining int
	// Override is the override file written (FixOptions.Override), and
	// OverrideUse how to make compose read it, such as ", which compose
	// already reads".
	Override, OverrideUse string
	// Summary ends the report of the fix, as compose-preflight --fix ends
	// its own: how many ports moved (in a dry run, would move) and how
	// many conflicts are left to fix by hand, in a line or two (none
	// when the fix failed).
	Summary []string

	dryRun bool
}

// Clean reports whether the project checks clean after the fix: no
// conflict is left. A dry run writes nothing, so it is clean only when
// there was nothing to move and no override file to write.
func (p *Fixed) Clean() bool {
	if p.dryRun {
		return len(p.Moved) == 0 && p.Remaining == 0 && p.Override == ""
	}
	return p.Remaining == 0
}

// summarize writes p's Summary.
func (r *Result) summarize(p *Fixed) {
	moved := count(len(p.Moved), "port", "ports")
	left := count(p.Remaining, "conflict", "conflicts") + " left to fix by hand."
	switch {
	case p.dryRun:
		p.Summary = []string{moved + " would move; nothing written (--dry-run)"}
	case p.Override != "":
		p.Summary = []string{moved + " moved into " + r.Rel(p.Override) + p.OverrideUse}
		if p.Remaining > 0 {
			p.Summary = append(p.Summary, left)
		}
	case p.Remaining > 0:
		p.Summary = []string{moved + " moved; " + left}
	case len(p.Moved) > 0:
		p.Summary = []string{moved + " moved; the project now checks clean."}
	default:
		p.Summary = []string{"nothing to fix; the project checks clean."}
	}
}

// count is n things, as a person writes it: "1 port", "2 ports".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// buildPlan reads each file once and applies every move's edits to it.
func (r *Result) buildPlan(moves []*Move) (*Fixed, error) {
	p := &Fixed{}
	contents := map[string][]byte{}  // as edited
	originals := map[string][]byte{} // as read: what WriteFiles requires on disk
	exists := map[string]bool{}
	var order []string
	read := func(path string) ([]byte, error) {
		if b, ok := contents[path]; ok {
			return b, nil
		}
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			exists[path] = true
		case os.IsNotExist(err):
			b = nil
		default:
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		contents[path], originals[path] = b, b
		order = append(order, path)
		return b, nil
	}
	yamlEdits := map[string][]rewrite.Edit{}
	// env lines name the value's position in the file as written, known
	// only once every edit is applied (a .env may be created).
	type pendingEnvLine struct {
		at int
		e  envEdit
		m  *Move
	}
	var envLines []pendingEnvLine
	envSet := map[[2]string]string{} // (file, key) -> value
	for _, m := range moves {
		if m.manual != "" {
			b := r.Project.Bindings[m.finding.Binding]
			p.Manual = append(p.Manual, fmt.Sprintf("%s: not fixed: service %q %s -> %s: %s", r.Location(m.finding), b.Service, m.oldText(), m.newText(), m.manual))
			continue
		}
		p.Moved = append(p.Moved, m)
		for _, e := range m.edits {
			if _, err := read(e.src.File); err != nil {
				return nil, err
			}
			// Old is what the check saw, not what the file holds now: a file
			// changed since it was loaded makes Splice refuse.
			e.edit.Old = m.oldText()
			yamlEdits[e.src.File] = append(yamlEdits[e.src.File], e.edit)
			p.Lines = append(p.Lines, fmt.Sprintf("%s:%d:%d: fixed: service %q %s -> %s (%s)",
				r.Rel(e.src.File), e.src.Line, e.src.Column, r.Project.Bindings[m.finding.Binding].Service, m.oldText(), m.newText(), r.reason(m)))
		}
		for _, e := range m.envs {
			src, err := read(e.file)
			if err != nil {
				return nil, err
			}
			if v := e.used.Variable; v != nil && v.Origin == compose.OriginEnvFile {
				// Splice checks the old text of a YAML edit; an env edit is
				// checked here: the value must still be the one the check saw.
				vals, err := dotenv.ParseWithLookup(bytes.NewReader(src), func(string) (string, bool) { return "", true })
				if err != nil || vals[e.key] != v.Value {
					return nil, fmt.Errorf("%s: %s is not %s as written there (changed since the project was loaded, or built from other variables): not changed", r.Rel(e.file), e.key, v.Value)
				}
			}
			k := [2]string{e.file, e.key}
			if v, dup := envSet[k]; dup && v != m.newText() {
				return nil, fmt.Errorf("%s would be set to both %s and %s", e.key, v, m.newText())
			}
			envSet[k] = m.newText()
			envLines = append(envLines, pendingEnvLine{len(p.Lines), e, m})
			p.Lines = append(p.Lines, "")
		}
	}
	for path, edits := range yamlEdits {
		out, err := rewrite.Splice(contents[path], edits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Rel(path), err)
		}
		contents[path] = out
	}
	keys := make([][2]string, 0, len(envSet))
	for k := range envSet {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		out, err := rewrite.SetEnv(contents[k[0]], k[1], envSet[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Rel(k[0]), err)
		}
		contents[k[0]] = out
	}
	for _, l := range envLines {
		p.Lines[l.at] = r.envLine(l.e, l.m, contents[l.e.file])
	}
	if err := r.guardWrites(order, exists); err != nil {
		return nil, err
	}
	for _, path := range order {
		if old := originals[path]; !exists[path] || !bytes.Equal(old, contents[path]) {
			p.Changes = append(p.Changes, rewrite.Change{Path: path, Old: old, New: contents[path]})
		}
	}
	return p, nil
}

// guardWrites refuses to write outside the project's directory tree (a
// compose or env file that is a link to elsewhere, an include from a
// parent folder) unless --allow-outside, and anything that is not a file
// this run read, except a new .env in the project directory.
func (r *Result) guardWrites(paths []string, exists map[string]bool) error {
	read := map[string]bool{}
	for _, f := range append(slices.Clone(r.Project.ComposeFiles), r.Project.EnvFiles...) {
		read[f] = true
	}
	for _, b := range r.Project.Bindings {
		for _, s := range b.Sources {
			read[s.File] = true
			if s.Variable != nil && s.Variable.File != "" {
				read[s.Variable.File] = true
			}
		}
	}
	for _, path := range paths {
		if exists[path] && !read[path] {
			return fmt.Errorf("%s was not read by this run: not written", path)
		}
		if !exists[path] && filepath.Dir(path) != r.Project.WorkingDir {
			return fmt.Errorf("%s does not exist and is not the project's .env: not created", path)
		}
		if err := r.insideProject(path, exists[path]); err != nil {
			return err
		}
	}
	return nil
}

// insideProject refuses path when it resolves (through links) outside the
// project directory, unless --allow-outside.
func (r *Result) insideProject(path string, exists bool) error {
	if r.fix.AllowOutside {
		return nil
	}
	root, err := filepath.EvalSymlinks(r.Project.WorkingDir)
	if err != nil {
		return fmt.Errorf("resolving the project directory: %w", err)
	}
	real := path
	if exists {
		real, err = filepath.EvalSymlinks(path)
	} else {
		real, err = filepath.EvalSymlinks(filepath.Dir(path))
		real = filepath.Join(real, filepath.Base(path))
	}
	if err != nil {
		return fmt.Errorf("resolving %s: %w", path, err)
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		shown := r.Rel(path)
		if real != path {
			shown += " (" + real + ")"
		}
		return fmt.Errorf("%s is outside the project directory %s: not written (--allow-outside writes it)", shown, root)
	}
	return nil
}

// envLine says where a variable was set, at its value in the env file
// as it is written (src).
func (r *Result) envLine(e envEdit, m *Move, src []byte) string {
	pos := r.Rel(e.file)
	if line, col, ok := rewrite.EnvValuePos(src, e.key); ok {
		pos = fmt.Sprintf("%s:%d:%d", pos, line, col)
	}
	return fmt.Sprintf("%s: fixed: %s %s -> %s (used by service %q in %s:%d:%d; %s)", pos, e.key, m.oldText(), m.newText(),
		r.Project.Bindings[m.finding.Binding].Service, r.Rel(e.used.File), e.used.Line, e.used.Column, r.reason(m))
}

// expected is the bindings the project must load to after the plan: the
// moved ones shifted, every other one unchanged.
func (r *Result) expected(p *Fixed) []check.Binding {
	out := slices.Clone(r.Input.Bindings)
	for _, m := range p.Moved {
		shift := int(m.to) - int(m.from)
		for _, i := range m.bindings {
			out[i].Published = uint16(int(out[i].Published) + shift)
			out[i].Last = uint16(int(out[i].Last) + shift)
			if m.widen > 0 {
				out[i].Last = uint16(int(m.to) + m.widen - 1)
			}
		}
	}
	return out
}

// setDiff lists the items of a (sorted, with repeats) not matched in b.
func setDiff(a, b []string) []string {
	left := map[string]int{}
	for _, s := range b {
		left[s]++
	}
	var out []string
	for _, s := range a {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

func bindingSet(bs []check.Binding) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		s := fmt.Sprintf("service %q %s->%d/%s", b.Service, b, b.Target, b.Protocol)
		if b.Replicas > 1 {
			s += fmt.Sprintf(" x%d", b.Replicas)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// FixOptions say how a fix is written.
type FixOptions struct {
	// DryRun goes through every step of the fix, verification included,
	// on a mirror of the files, and writes nothing: Fixed.Changes say
	// what a fix would write, and a fix's refusals are the same.
	DryRun bool
	// Override leaves the project's files alone and writes the moved
	// ports into this override file (ports: !override), for compose files
	// that are read-only, vendored or shared. A relative path is from
	// the working directory (Options.Load.WorkingDir).
	Override string
	// AllowOutside lets the fix write compose and env files outside the
	// project directory (links, includes from parent folders), which it
	// refuses otherwise.
	AllowOutside bool
}

// Fix moves every conflict a fix resolves (in-use, shadowed, duplicate,
// replicas) to the port its next step names, in the file or env file
// variable that defines it, changing nothing else; then loads the project
// again and confirms that exactly the planned ports moved, putting every
// file back otherwise. A move that cannot be written safely is left to a
// human, with the reason, in Fixed.Manual.
//
// An error of the fix is a *FixError and leaves no file changed; any
// other error is about the input (an override file that is not valid).
// Fixed is returned alongside an error once the moves were planned, so
// that a caller can still say which findings the fix left.
func (r *Result) Fix(ctx context.Context, o FixOptions) (*Fixed, error) {
	p, err := r.fixWith(ctx, o)
	if err == nil {
		p.dryRun = o.DryRun
		r.summarize(p)
	}
	return p, err
}

// fixWith is Fix up to its summary, which only a fix that worked has.
func (r *Result) fixWith(ctx context.Context, o FixOptions) (*Fixed, error) {
	r.fix = o
	if o.Override != "" {
		return r.fixOverride(ctx, o.Override, o.DryRun)
	}
	moves := r.moves
	if _, err := r.buildPlan(moves); err != nil {
		return nil, &FixError{Err: fmt.Errorf("nothing written: %w", err)}
	}
	// --dry-run goes through the same steps, verification included, on a
	// mirror of the files: it says what --fix would write, and refuses
	// what --fix would refuse, the same way.
	p, err := r.applyMoves(ctx, moves, o.DryRun)
	if err != nil {
		if fe := (*FixError)(nil); !errors.As(err, &fe) {
			err = &FixError{Err: err}
		}
		return nil, err
	}
	p.Remaining = r.unfixed(p)
	return p, nil
}

// applyMoves writes the moves and verifies the result. When the project
// then loads to other ports than planned (a variable that also feeds
// another field, say), every file is restored and the moves are tried one
// by one from the original files: each move that works alone and with the
// ones kept before it is kept, the others are left for a human with the
// reason. A write error restores everything and ends the run.
func (r *Result) applyMoves(ctx context.Context, moves []*Move, dryRun bool) (*Fixed, error) {
	p, err := r.attempt(ctx, moves, dryRun)
	var ve *verifyError
	if err == nil || !errors.As(err, &ve) {
		return p, err
	}
	var kept []*Move
	for _, m := range moves {
		if m.manual != "" {
			continue
		}
		trial, err := r.attempt(ctx, append(slices.Clone(kept), m), dryRun)
		switch {
		case errors.As(err, &ve):
			m.manual = fmt.Sprintf("moving it changes more than this port (%v): change it by hand", ve.err)
			continue
		case err != nil:
			return nil, err
		}
		if !dryRun {
			if err := restore(undoOf(trial)); err != nil {
				return nil, &FixError{Err: fmt.Errorf("restoring the files after a trial: %w", err)}
			}
		}
		kept = append(kept, m)
	}
	if p, err = r.attempt(ctx, moves, dryRun); err != nil { // the kept ones; the rest are manual now
		return nil, err
	}
	return p, nil
}

// attempt writes the plan of moves and verifies it; a failed verification
// restores every file and returns a *verifyError.
//
// With dryRun the plan is written to a mirror of the files (see mirror)
// and verified there; the project's files are never touched.
func (r *Result) attempt(ctx context.Context, moves []*Move, dryRun bool) (*Fixed, error) {
	p, err := r.buildPlan(moves)
	if err != nil {
		return nil, &FixError{Err: fmt.Errorf("nothing written: %w", err)}
	}
	if len(p.Changes) == 0 {
		return p, nil
	}
	if dryRun {
		return p, r.verifyMirrored(ctx, p)
	}
	if err := rewrite.WriteFiles(p.Changes); err != nil {
		return nil, &FixError{Err: fmt.Errorf("nothing changed: %w", err)}
	}
	if err := r.verify(ctx, p, r.opts.Load); err != nil {
		if rerr := restore(undoOf(p)); rerr != nil {
			return nil, &FixError{Err: fmt.Errorf("%v; and restoring the files failed: %v", err, rerr)}
		}
		if ve := (*verifyError)(nil); errors.As(err, &ve) {
			return nil, err
		}
		return nil, &FixError{Err: fmt.Errorf("every file restored: %w", err)}
	}
	return p, nil
}

// verifyMirrored verifies plan p on a mirror of the files, and reports a
// failure as attempt does after restoring the files.
func (r *Result) verifyMirrored(ctx context.Context, p *Fixed) error {
	m, err := newMirror(p.Changes)
	if err != nil {
		return &FixError{Err: err}
	}
	defer m.remove()
	load, err := m.options(r.opts.Load)
	if err != nil {
		return &FixError{Err: fmt.Errorf("preparing the dry run: %w", err)}
	}
	err = r.verify(ctx, p, load)
	if ve := (*verifyError)(nil); errors.As(err, &ve) {
		return &verifyError{err: m.unmirror(ve.err)}
	}
	if err != nil {
		return &FixError{Err: fmt.Errorf("every file restored: %w", m.unmirror(err))}
	}
	return nil
}

// verifyError says the reloaded project is not what a plan promised.
type verifyError struct{ err error }

func (e *verifyError) Error() string { return e.err.Error() }
func (e *verifyError) Unwrap() error { return e.err }

// movedBinding reports whether the plan moves binding i.
func (p *Fixed) movedBinding(i int) bool {
	for _, m := range p.Moved {
		if slices.Contains(m.bindings, i) {
			return true
		}
	}
	return false
}

// Left reports whether f is an error finding the fix leaves: one it does
// not resolve by moving a port.
func (p *Fixed) Left(f check.Finding) bool {
	return f.Severity == check.Error && !(fixable(f.Kind) && p.movedBinding(f.Binding))
}

// unfixed counts the error findings a plan leaves.
func (r *Result) unfixed(p *Fixed) int {
	n := 0
	for _, f := range r.Findings {
		if p.Left(f) {
			n++
		}
	}
	return n
}

// undoOf is the changes that put every file of p back as it was.
func undoOf(p *Fixed) []rewrite.Change {
	undo := make([]rewrite.Change, len(p.Changes))
	for i, c := range p.Changes {
		undo[i] = rewrite.Change{Path: c.Path, Old: c.New, New: c.Old}
	}
	return undo
}

// restore writes the old contents back; a file the fix created is
// removed.
func restore(undo []rewrite.Change) error {
	var writes []rewrite.Change
	for _, c := range undo {
		if c.New == nil {
			if err := os.Remove(c.Path); err != nil {
				return err
			}
			continue
		}
		writes = append(writes, c)
	}
	return rewrite.WriteFiles(writes)
}

// verify reloads the project (with load, the options it was loaded with
// plus any file the fix added) and checks that exactly the planned ports
// changed and that no moved port conflicts.
func (r *Result) verify(ctx context.Context, p *Fixed, load compose.Options) error {
	proj, err := compose.Load(ctx, load)
	if err != nil {
		return fmt.Errorf("the project no longer loads: %w", err)
	}
	got, err := checkBindings(proj)
	if err != nil {
		return err
	}
	want := r.expected(p)
	if g, w := bindingSet(got), bindingSet(want); !slices.Equal(g, w) {
		extra, missing := setDiff(g, w), setDiff(w, g)
		return &verifyError{err: fmt.Errorf("the project loads %s instead of %s", strings.Join(extra, ", "), strings.Join(missing, ", "))}
	}
	in := *r.Input
	in.Bindings = got
	fs := check.Find(in)
	fs = check.Attribute(fs, &in)
	for _, f := range fs {
		if f.Severity == check.Error && fixable(f.Kind) {
			for _, m := range p.Moved {
				if slices.Contains(m.bindings, f.Binding) {
					return &verifyError{err: fmt.Errorf("service %q still conflicts on %s after the move", f.Service, got[f.Binding])}
				}
			}
		}
	}
	return nil
}
