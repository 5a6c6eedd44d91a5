package compose

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"
)

// LoadError is why a project could not be loaded: one line, naming the file
// and line at fault when there is one. The CLI prints it as is and exits 2.
type LoadError struct {
	// File is the absolute path of the file at fault, or "" when the
	// problem is not in a file.
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Column is 1-based, in characters; 0 when unknown (most errors only
	// know the line).
	Column int
	// Msg is a single line, without the file and line.
	Msg string
	// Err is the underlying error, if any.
	Err error
	// display is File relative to the working directory when under it.
	display string
}

func (e *LoadError) Error() string {
	file := e.display
	if file == "" {
		file = e.File
	}
	switch {
	case file != "" && e.Line > 0 && e.Column > 0:
		return file + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": " + e.Msg
	case file != "" && e.Line > 0:
		return file + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	case file != "":
		return file + ": " + e.Msg
	}
	return e.Msg
}

func (e *LoadError) Unwrap() error { return e.Err }

// messagePatterns read compose-go's error messages. They are compiled on
// the first error only: a load that succeeds, which is every run of the
// hook that matters, does not pay for nine regular expressions.
type messagePatterns struct {
	parse, yamlLine, construct, validating, envFile, envMissing, modelPath, required, badPort *regexp.Regexp
}

var patterns = sync.OnceValue(func() *messagePatterns {
	return &messagePatterns{
		// compose-go: "failed to parse FILE: yaml: ... line N: message"
		parse: regexp.MustCompile(`^failed to parse (.+?): (yaml: .*)$`),
		// yaml: the last "line N:" is the error's own position
		yamlLine: regexp.MustCompile(`line (\d+):`),
		// a decoding error: "construct errors: line N: yaml: message"
		construct: regexp.MustCompile(`^construct errors:\s*line (\d+): (?:yaml: )?(.*)$`),
		// schema validation: "validating FILE: PATH message"
		validating: regexp.MustCompile(`^validating (.+?): (.*)$`),
		// an env file that does not parse: "failed to read FILE: line N: msg"
		envFile: regexp.MustCompile(`^failed to read (.+?): line (\d+): (.*)$`),
		// a service's env_file that does not exist
		envMissing: regexp.MustCompile(`env file (\S+) not found`),
		// a dotted model path such as services.web.ports.0
		modelPath: regexp.MustCompile(`\b((?:services|networks|volumes|secrets|configs|include|models)(?:\.[^\s:'"]+)?)`),
		// "required variable X is missing a value"
		required: regexp.MustCompile(`required variable (\w+) is missing a value`),
		// a port rejected by go-connections
		badPort: regexp.MustCompile(`(?i)invalid (?:hostPort|containerPort|port|proto|IP address|range)[^:]*: ?(\S*)`),
	}
})

// explain turns any error from loading into a *LoadError with a file and,
// when it can be found in the YAML index, a line.
func (l *loader) explain(err error) error {
	var le *LoadError
	if !errors.As(err, &le) {
		le = &LoadError{Msg: oneLine(err.Error()), Err: err}
		l.locate(le)
	} else if isRemote(le.File) {
		// point at the include or extends that names the remote resource
		url := le.File
		ix := newIndex()
		if f, line := findScalar(ix, l.candidates(ix), func(v string) bool { return v == url }); f != "" {
			le.File, le.Line = f, line
			le.Msg = strings.Replace(le.Msg, "remote include", "remote include "+url, 1)
		}
	}
	le.Msg = strings.ReplaceAll(le.Msg, l.cwd+string(filepath.Separator), "")
	if le.File != "" && filepath.IsAbs(le.File) {
		if rel, err := filepath.Rel(l.cwd, le.File); err == nil && !strings.HasPrefix(rel, "..") {
			le.display = rel
		}
	}
	le.Msg = canonicalCycle(oneLine(le.Msg))
	return le
}

// canonicalCycle starts compose-go's extends cycle ("Circular reference:
// b in f extends a in f extends b in f") at its smallest member: compose-go
// walks services in map order, so the same cycle would otherwise be told
// differently from run to run.
func canonicalCycle(msg string) string {
	const lead = "Circular reference: "
	i := strings.Index(msg, lead)
	if i < 0 {
		return msg
	}
	chain := strings.Split(msg[i+len(lead):], " extends ")
	if len(chain) < 3 || chain[0] != chain[len(chain)-1] {
		return msg
	}
	cycle := chain[:len(chain)-1]
	least := 0
	for j, c := range cycle {
		if c < cycle[least] {
			least = j
		}
	}
	rot := append(slices.Clone(cycle[least:]), cycle[:least]...)
	return msg[:i+len(lead)] + strings.Join(append(rot, rot[0]), " extends ")
}

// oneLine joins a multi-line message (include cycles are reported on
// several lines) into one.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(slices.DeleteFunc(lines, func(s string) bool { return s == "" }), " ")
}

// candidates are the files an error may be about: the top-level compose
// files, then every file the index has read.
func (l *loader) candidates(ix *index) []string {
	var files []string
	if l.po != nil {
		for _, f := range l.po.ConfigPaths {
			files = append(files, l.abs(f))
		}
	}
	for _, f := range files {
		l.crawl(ix, ix.file(f), 0)
	}
	for _, f := range slices.Sorted(maps.Keys(ix.files)) {
		if !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return files
}

// crawl reads the local files a file includes or extends, so their lines
// can be found. Paths are resolved against the file's directory, which is
// right for most projects; this only affects where an error points.
func (l *loader) crawl(ix *index, f *yamlFile, depth int) {
	if depth > maxDepth {
		return
	}
	dir := filepath.Dir(f.path)
	visit := func(p string) {
		if p == "" || isRemote(p) || strings.Contains(p, "$") {
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, ok := ix.files[p]; ok {
			return
		}
		l.crawl(ix, ix.file(p), depth+1)
	}
	for _, doc := range f.docs {
		if inc := lookup(doc, "include", nil); inc != nil && inc.Kind == yaml.SequenceNode {
			for _, it := range inc.Content {
				it = resolve(it, nil)
				if it.Kind == yaml.ScalarNode {
					visit(it.Value)
				} else if p := lookup(it, "path", nil); p != nil {
					if p.Kind == yaml.ScalarNode {
						visit(p.Value)
					} else {
						for _, c := range p.Content {
							visit(c.Value)
						}
					}
				}
			}
		}
		services := lookup(doc, "services", nil)
		for _, name := range mappingKeys(services) {
			if ext := lookup(lookup(services, name, nil), "extends", nil); ext != nil && ext.Kind == yaml.MappingNode {
				if fn := lookup(ext, "file", nil); fn != nil {
					visit(fn.Value)
				}
			}
		}
	}
}

// locate finds the file and line an error from compose-go is about.
func (l *loader) locate(le *LoadError) {
	re := patterns()
	msg := le.Msg
	if m := re.envFile.FindStringSubmatch(msg); m != nil {
		le.File, le.Msg = m[1], "invalid env file: "+m[3]
		le.Line, _ = strconv.Atoi(m[2])
		return
	}
	ix := newIndex()
	files := l.candidates(ix)

	// a YAML syntax error (compose-go may report it without the file name):
	// our own parse with the same library finds the file and the line
	if m := re.parse.FindStringSubmatch(msg); m != nil || strings.HasPrefix(msg, "yaml: ") {
		for _, f := range files {
			yf := ix.file(f)
			if yf.err == nil || yf.src == nil {
				continue
			}
			le.File = f
			if line, col, text, ok := yamlErrorAt(yf, yf.err); ok {
				le.Line, le.Column, le.Msg = line, col, "invalid YAML: "+text
				return
			}
			text := yf.err.Error()
			le.Msg = "invalid YAML: " + strings.TrimPrefix(text, "yaml: ")
			if lines := re.yamlLine.FindAllStringSubmatch(text, -1); len(lines) > 0 {
				le.Line, _ = strconv.Atoi(lines[len(lines)-1][1])
			}
			return
		}
		if m != nil {
			// an error only decoding finds (our parse keeps aliases
			// unexpanded): "construct errors: line N: yaml: message"
			le.File = m[1]
			text := strings.TrimPrefix(m[2], "yaml: ")
			if c := re.construct.FindStringSubmatch(text); c != nil {
				le.Line, _ = strconv.Atoi(c[1])
				text = c[2]
			}
			le.Msg = "invalid YAML: " + text
			return
		}
	}
	if m := re.validating.FindStringSubmatch(msg); m != nil {
		le.File = m[1]
		le.Msg = strings.Replace(m[2], " false schema", ": not allowed here", 1)
		if p := re.modelPath.FindString(m[2]); p != "" {
			le.Line = findPath(ix.file(m[1]), p)
		}
		return
	}
	if m := re.envMissing.FindStringSubmatch(msg); m != nil {
		base := filepath.Base(m[1])
		if f, line := findScalar(ix, files, func(v string) bool { return filepath.Base(v) == base }); f != "" {
			le.File, le.Line = f, line
			le.Msg = "env_file " + m[1] + " not found"
			return
		}
	}
	if m := re.required.FindStringSubmatch(msg); m != nil {
		if f, line := findScalar(ix, files, func(v string) bool {
			return strings.Contains(v, "${"+m[1]+":?") || strings.Contains(v, "${"+m[1]+"?")
		}); f != "" {
			le.File, le.Line = f, line
			return
		}
	}
	if m := re.badPort.FindStringSubmatch(msg); m != nil {
		if f, line := l.findBadPort(ix, files); f != "" {
			le.File, le.Line = f, line
			le.Msg = "invalid port: " + msg
			return
		}
	}
	// a message naming one of the files (include/extends cycles, missing
	// included files, ...): point at it, and at the model path if any
	for _, f := range files {
		if strings.Contains(msg, f) {
			le.File = f
			le.Msg = strings.ReplaceAll(msg, f+": ", "")
			if p := re.modelPath.FindString(msg); p != "" {
				le.Line = findPath(ix.file(f), p)
			}
			return
		}
	}
	if p := re.modelPath.FindString(msg); p != "" {
		for _, f := range files {
			if line := findPath(ix.file(f), p); line > 0 {
				le.File, le.Line = f, line
				return
			}
		}
	}
	if len(files) > 0 && le.File == "" {
		le.File = files[0]
	}
}

// findPath returns the line of the deepest node along a dotted model path
// (services.web.ports.0) in f, or 0.
func findPath(f *yamlFile, path string) int {
	best := 0
	for _, doc := range f.docs {
		n := doc
		line := 0
		for _, part := range strings.Split(path, ".") {
			n = resolve(n, nil)
			if n == nil {
				break
			}
			var next *yaml.Node
			switch n.Kind {
			case yaml.MappingNode:
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == part {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
				if next == nil {
					next = lookup(n, part, nil)
				}
			case yaml.SequenceNode:
				if i, err := strconv.Atoi(strings.Trim(part, "[]")); err == nil && i < len(n.Content) {
					next = n.Content[i]
					line = next.Line
				}
			}
			if next == nil {
				break
			}
			n = next
		}
		if line > best {
			best = line
		}
	}
	return best
}

// findScalar returns the first scalar (file order) whose value matches.
func findScalar(ix *index, files []string, match func(string) bool) (string, int) {
	for _, p := range files {
		f := ix.file(p)
		for _, doc := range f.docs {
			if n := walkScalars(doc, match, 0); n != nil {
				return p, n.Line
			}
		}
	}
	return "", 0
}

func walkScalars(n *yaml.Node, match func(string) bool, depth int) *yaml.Node {
	if n == nil || depth > 200 {
		return nil
	}
	if n.Kind == yaml.ScalarNode && match(n.Value) {
		return n
	}
	for _, c := range n.Content {
		if r := walkScalars(c, match, depth+1); r != nil {
			return r
		}
	}
	return nil
}

// findBadPort finds the first port entry that does not parse, using the
// project's environment when it could be computed, the shell's otherwise.
func (l *loader) findBadPort(ix *index, files []string) (string, int) {
	env := l.environ
	if l.po != nil {
		env = l.po.Environment
	}
	sc := &scope{env: env}
	for _, p := range files {
		f := ix.file(p)
		for _, doc := range f.docs {
			services := lookup(doc, "services", nil)
			for _, name := range mappingKeys(services) {
				ports := lookup(lookup(services, name, nil), "ports", nil)
				if ports == nil || ports.Kind != yaml.SequenceNode {
					continue
				}
				for _, it := range ports.Content {
					it = resolve(it, nil)
					if it == nil {
						continue
					}
					pn := &portNode{file: f, item: it, pub: it, short: it.Kind == yaml.ScalarNode}
					if !pn.short {
						pn.pub = lookup(it, "published", nil)
					}
					e := &portEntry{node: pn, scope: sc}
					if e.parse() == nil || (!pn.short && badPublished(interp(pn.pub, sc))) {
						return p, it.Line
					}
				}
			}
		}
	}
	return "", 0
}

// badPublished reports a long-syntax published value that is not a port or
// a port range.
func badPublished(v string) bool {
	if v == "" {
		return false
	}
	lo, hi, isRange := strings.Cut(v, "-")
	for _, s := range []string{lo, hi} {
		if !isRange && s == hi {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 65535 {
			return true
		}
	}
	return false
}

// yamlErrorAt reads the position of a syntax error from the YAML library's
// error, and returns it with the message reworded as "problem (context at
// line L, column C)", so the problem's own line is the one the error is
// reported at; ok is false for any other error.
//
// The library's error types live in its internal package, so nothing here
// touches them: their Error() text carries every field ("yaml: CONTEXT at
// line L, column C: line L, column C: PROBLEM", column one-based, or
// "yaml: offset N: PROBLEM" for a reader error), and is parsed. Only the
// kind's name (%T) says whether the lines need the shift below.
//
// go.yaml.in/yaml/v4 v4.0.0-rc.4 reports parser errors with 0-based lines
// (scanner errors are shifted to 1-based, parser errors are not): in
// "while parsing a block mapping at line 2, column 5: line 5, column 6: did
// not find expected key" both lines are one too low. The broken-input tests
// pin the corrected lines, so a library fix shows up as a test failure.
func yamlErrorAt(f *yamlFile, err error) (line, col int, msg string, ok bool) {
	kind := fmt.Sprintf("%T", err)
	kind = kind[strings.LastIndex(kind, ".")+1:]
	text := err.Error()
	switch kind {
	case "ParserError", "ScannerError":
		shift := 0
		if kind == "ParserError" {
			shift = 1
		}
		m := yamlMarkedError().FindStringSubmatch(text)
		if m == nil {
			return 0, 0, "", false
		}
		ctxMsg, ctxMark, mark, problem := m[1], m[2], m[3], m[4]
		if ctxMsg != "" && mark == "" {
			mark = ctxMark // the library prints one mark when both are equal
		}
		var okMark bool
		if line, col, okMark = yamlMark(mark, shift); !okMark || line < 1 {
			return 0, 0, "", false
		}
		if n := len(f.lineStarts); n > 1 && line >= n && f.lineStarts[n-1] == len(f.src) {
			// the end of the file, after its last newline: name the last
			// line, where the unfinished construct is
			line, col = n-1, 0
		}
		msg = problem
		if ctxMsg != "" {
			switch cl, cc, ok := yamlMark(ctxMark, shift); {
			case ok && (cl != line || cc != col) && cc == 0:
				msg += fmt.Sprintf(" (%s at line %d)", ctxMsg, cl)
			case ok && (cl != line || cc != col):
				msg += fmt.Sprintf(" (%s at line %d, column %d)", ctxMsg, cl, cc)
			default:
				msg += " (" + ctxMsg + ")"
			}
		}
		return line, col, msg, true
	case "ReaderError":
		m := yamlReaderError().FindStringSubmatch(text)
		if m == nil {
			return 0, 0, "", false
		}
		o, err := strconv.Atoi(m[1])
		if err != nil || o < 0 || o > len(f.src) {
			return 0, 0, "", false
		}
		line, col = f.lineCol(o)
		return line, col, m[2], true
	}
	return 0, 0, "", false
}

// The texts of the YAML library's marked and reader errors (see
// yamlErrorAt), compiled on first use.
var (
	yamlMarkedError = sync.OnceValue(func() *regexp.Regexp {
		const mark = `line \d+(?:, column \d+)?|<unknown position>`
		return regexp.MustCompile(`(?s)^yaml: (?:(.*?) at (` + mark + `): )?(?:(` + mark + `): )?(.*)$`)
	})
	yamlReaderError = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?s)^yaml: offset (-?\d+): (.*)$`)
	})
	yamlMarkText = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^line (\d+)(?:, column (\d+))?$`)
	})
)

// yamlMark reads "line L, column C" as the library prints a position
// (line as stored, column one-based and left out when zero), shifting the
// line by shift. The library prints a mark on its line 0 as "<unknown
// position>", without its column: that is the first line of a parser
// error, at an unknown column (0).
func yamlMark(text string, shift int) (line, col int, ok bool) {
	if text == "<unknown position>" {
		return shift, 0, true
	}
	m := yamlMarkText().FindStringSubmatch(text)
	if m == nil {
		return 0, 0, false
	}
	line, _ = strconv.Atoi(m[1])
	col = 1
	if m[2] != "" {
		col, _ = strconv.Atoi(m[2])
	}
	return line + shift, col, true
}
