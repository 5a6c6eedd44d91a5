package compose

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// The source index. compose-go decodes files into plain maps and forgets
// positions, so every file is parsed again with the same YAML library
// (go.yaml.in/yaml/v4, the version compose-go pins, so tags, anchors, merge
// keys and multi-document streams behave identically) and the steps of
// compose-go's loadYamlFile that decide which port entries survive are
// replayed: includes (with their own env), !reset and !override, extends
// (same and other file) and merging across files. Each surviving entry is
// then matched to the final ports compose-go produced by its parsed key, so
// a port defined in two places has two sources.

// maxDepth bounds include/extends recursion. compose-go rejects cycles
// before the index is built; this only guards the replay itself.
const maxDepth = 64

// yamlFile is one compose file, parsed once.
type yamlFile struct {
	path       string
	src        []byte
	bom        int   // length of a leading UTF-8 byte order mark
	lineStarts []int // byte offset of each line
	docs       []*yaml.Node
	err        error
	info       fs.FileInfo // the file as it was read
}

// scope is the context a file is interpreted in: the directory its relative
// include and extends paths resolve against, and its interpolation
// environment.
type scope struct {
	dir      string
	env      map[string]string
	envFiles []*envFile // this scope's own env files, lowest precedence first
	parent   *scope     // an include's parent: its environment wins
	shell    map[string]string
}

func (s *scope) lookup(k string) (string, bool) {
	v, ok := s.env[k]
	return v, ok
}

// origin says where a variable's value in this scope comes from: the shell,
// or the env file (and statement) that sets it last, following compose-go's
// precedence (shell, then parent scopes, then the last env file defining it).
func (s *scope) origin(name string) (string, *envFile, bool) {
	if _, ok := s.shell[name]; ok {
		return OriginShell, nil, true
	}
	if s.parent != nil {
		if o, f, ok := s.parent.origin(name); ok {
			return o, f, true
		}
	}
	for i := len(s.envFiles) - 1; i >= 0; i-- {
		if _, ok := s.envFiles[i].vars[name]; ok {
			return OriginEnvFile, s.envFiles[i], true
		}
	}
	if _, ok := s.env[name]; ok && s.parent == nil {
		// set by the loader itself (PWD)
		return OriginShell, nil, true
	}
	return "", nil, false
}

// portNode is one physical port definition: a sequence item under
// `ports:`, reached from one or more services.
type portNode struct {
	file    *yamlFile
	item    *yaml.Node // the sequence item
	pub     *yaml.Node // the scalar holding the published port (nil: none)
	short   bool       // short syntax "host:container"
	anchors []*yaml.Node
	users   map[string]bool // services reaching it, filled per document
	shared  []string        // services sharing it through an anchor, when > 1
}

// portEntry is a portNode as seen by one service in one scope.
type portEntry struct {
	node    *portNode
	scope   *scope
	configs []types.ServicePortConfig // parsed; nil when it does not parse
	// keys are the portIDs of configs. An equal range such as
	// "1-65535:1-65535" yields 65535 configs, and every one of them is
	// matched against every entry: a set keeps that linear.
	keys map[portID]bool
}

type contribution struct {
	entries []*portEntry
	reset   bool // the document clears what earlier files said
}

type index struct {
	files map[string]*yamlFile
	// refused are the files readFile would not read (pipes, devices,
	// oversized files) met while replaying, in order: Load reports the
	// first before compose-go gets the chance to open it.
	refused []error
}

func newIndex() *index { return &index{files: map[string]*yamlFile{}} }

// file returns the parsed file at path, reading it on first use.
func (ix *index) file(path string) *yamlFile {
	if f, ok := ix.files[path]; ok {
		return f
	}
	f := &yamlFile{path: path}
	ix.files[path] = f
	src, st, err := readFileInfo(path)
	if err != nil {
		f.err = err
		if isRefusal(err) {
			ix.refused = append(ix.refused, err)
		}
		return f
	}
	f.src = src
	f.info = st
	if bytes.HasPrefix(src, []byte("\ufeff")) {
		f.bom = 3
	}
	f.lineStarts = []int{0}
	for i, c := range src {
		if c == '\n' {
			f.lineStarts = append(f.lineStarts, i+1)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.err = err
			break
		}
		if len(doc.Content) > 0 {
			f.docs = append(f.docs, doc.Content[0])
		}
	}
	return f
}

// offset converts a yaml line and column (1-based, the column counted in
// characters, not counting a BOM) to a byte offset, or -1.
func (f *yamlFile) offset(line, col int) int {
	if line < 1 || line > len(f.lineStarts) {
		return -1
	}
	off := f.lineStarts[line-1]
	if line == 1 {
		off += f.bom
	}
	for i := 1; i < col; i++ {
		if off >= len(f.src) || f.src[off] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRune(f.src[off:])
		off += size
	}
	return off
}

// lineCol converts a byte offset to a 1-based line and character column.
func (f *yamlFile) lineCol(off int) (int, int) {
	line, _ := slices.BinarySearch(f.lineStarts, off+1)
	start := f.lineStarts[line-1]
	if line == 1 {
		start += f.bom
	}
	return line, utf8.RuneCount(f.src[start:off]) + 1
}

// valueStart returns the byte offset where a scalar's value text starts,
// after its &anchor and !tag properties and opening quote.
func (f *yamlFile) valueStart(n *yaml.Node) int {
	off := f.offset(n.Line, n.Column)
	if off < 0 {
		return -1
	}
	for off < len(f.src) && (f.src[off] == '&' || f.src[off] == '!') {
		for off < len(f.src) && !isBlank(f.src[off]) {
			off++
		}
		for off < len(f.src) && isBlank(f.src[off]) {
			off++
		}
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		if off >= len(f.src) || (f.src[off] != '"' && f.src[off] != '\'') {
			return -1
		}
		off++
	}
	return off
}

// verbatim reports whether the scalar's value appears byte for byte in the
// file at off: false for escapes, doubled single quotes and folded lines.
func (f *yamlFile) verbatim(n *yaml.Node, off int) bool {
	return off >= 0 && off+len(n.Value) <= len(f.src) && string(f.src[off:off+len(n.Value)]) == n.Value
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// resolve follows an alias, noting anchored nodes passed through.
func resolve(n *yaml.Node, anchors *[]*yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Anchor != "" && anchors != nil {
		*anchors = append(*anchors, n)
	}
	return n
}

// lookup finds key in a mapping, then in its << merge sources, as the YAML
// library does when decoding (local keys win; earlier merge sources win).
//
// Merge sources are aliases, so a hostile file can make the merge graph
// exponentially larger than the file (a "billion laughs" of merge keys);
// each mapping is searched once per lookup, which gives the same answer,
// since a mapping searched again cannot hold the key the first search did
// not find, in time linear in the file.
func lookup(m *yaml.Node, key string, anchors *[]*yaml.Node) *yaml.Node {
	var seen map[*yaml.Node]bool
	return lookupOnce(m, key, anchors, &seen)
}

func lookupOnce(m *yaml.Node, key string, anchors *[]*yaml.Node, seen *map[*yaml.Node]bool) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if *seen != nil && (*seen)[m] {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind == yaml.ScalarNode && k.Value == key && k.Tag != "!!merge" {
			return resolve(m.Content[i+1], anchors)
		}
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
			merges = append(merges, m.Content[i+1])
		}
	}
	if len(merges) == 0 {
		return nil
	}
	if *seen == nil {
		*seen = map[*yaml.Node]bool{}
	}
	(*seen)[m] = true
	for _, mv := range merges {
		var local []*yaml.Node
		src := resolve(mv, &local)
		var sources []*yaml.Node
		if src != nil && src.Kind == yaml.SequenceNode {
			sources = src.Content
		} else {
			sources = []*yaml.Node{mv}
		}
		for _, s := range sources {
			var path []*yaml.Node
			path = append(path, local...)
			if v := lookupOnce(resolve(s, &path), key, &path, seen); v != nil {
				if anchors != nil {
					*anchors = append(*anchors, path...)
				}
				return v
			}
		}
	}
	return nil
}

// mappingKeys lists a mapping's own keys in order, followed by keys only
// present through merge keys. Each mapping is walked once, for the reason
// lookup searches each once.
func mappingKeys(m *yaml.Node) []string {
	var keys []string
	seen := map[string]bool{}
	walked := map[*yaml.Node]bool{}
	var walk func(m *yaml.Node, depth int)
	walk = func(m *yaml.Node, depth int) {
		if m == nil || m.Kind != yaml.MappingNode || depth > maxDepth || walked[m] {
			return
		}
		walked[m] = true
		var merges []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
				merges = append(merges, m.Content[i+1])
				continue
			}
			if !seen[k.Value] {
				seen[k.Value] = true
				keys = append(keys, k.Value)
			}
		}
		for _, mv := range merges {
			src := resolve(mv, nil)
			if src != nil && src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					walk(resolve(s, nil), depth+1)
				}
			} else {
				walk(src, depth+1)
			}
		}
	}
	walk(m, 0)
	return keys
}

func hasTag(n *yaml.Node, tag string) bool { return n != nil && n.Tag == tag }

// interp interpolates a scalar's value in a scope; errors leave it raw,
// since compose-go has already accepted the project.
func interp(n *yaml.Node, sc *scope) string {
	if n == nil {
		return ""
	}
	out, err := template.SubstituteWithOptions(n.Value, sc.lookup, template.WithoutLogging)
	if err != nil {
		return n.Value
	}
	return out
}

// stringList reads a scalar or a sequence of scalars.
func stringList(n *yaml.Node, sc *scope) []string {
	n = resolve(n, nil)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{interp(n, sc)}
	}
	var out []string
	for _, c := range n.Content {
		if c = resolve(c, nil); c != nil && c.Kind == yaml.ScalarNode {
			out = append(out, interp(c, sc))
		}
	}
	return out
}

// replay computes, for a list of files loaded together (the top-level
// files, or one include), the port entries of each service that survive
// merging, in order.
func (ix *index) replay(paths []string, sc *scope, depth int) map[string][]*portEntry {
	acc := map[string][]*portEntry{}
	if depth > maxDepth {
		return acc
	}
	for _, p := range paths {
		f := ix.file(p)
		for _, doc := range f.docs {
			for svc, c := range ix.document(f, doc, sc, depth) {
				if c.reset {
					acc[svc] = nil
				}
				acc[svc] = append(acc[svc], c.entries...)
			}
		}
	}
	return acc
}

// docState is the replay of one YAML document.
type docState struct {
	ix       *index
	f        *yamlFile
	doc      *yaml.Node
	sc       *scope
	depth    int
	services *yaml.Node
	imported map[string][]*portEntry
	done     map[string]*contribution
	busy     map[string]bool
	nodes    map[*yaml.Node]*portNode
}

func (ix *index) document(f *yamlFile, doc *yaml.Node, sc *scope, depth int) map[string]*contribution {
	d := &docState{
		ix: ix, f: f, doc: doc, sc: sc, depth: depth,
		services: lookup(doc, "services", nil),
		imported: map[string][]*portEntry{},
		done:     map[string]*contribution{},
		busy:     map[string]bool{},
		nodes:    map[*yaml.Node]*portNode{},
	}
	d.includes()
	for _, name := range mappingKeys(d.services) {
		d.service(name)
	}
	for name, es := range d.imported {
		if _, ok := d.done[name]; !ok {
			d.done[name] = &contribution{entries: es}
		}
	}
	// a definition reached by several services (through an alias or a
	// merge key) cannot be edited for one of them alone
	for _, pn := range d.nodes {
		if len(pn.users) > 1 {
			pn.shared = slices.Sorted(maps.Keys(pn.users))
		}
	}
	return d.done
}

// includes replays the document's include section (compose-go ApplyInclude).
func (d *docState) includes() {
	inc := lookup(d.doc, "include", nil)
	if inc == nil || inc.Kind != yaml.SequenceNode {
		return
	}
	for _, item := range inc.Content {
		item = resolve(item, nil)
		var paths, envFiles []string
		projectDir := ""
		hasEnvFile := false
		switch item.Kind {
		case yaml.ScalarNode:
			paths = []string{interp(item, d.sc)}
		case yaml.MappingNode:
			paths = stringList(lookup(item, "path", nil), d.sc)
			if pd := lookup(item, "project_directory", nil); pd != nil {
				projectDir = interp(pd, d.sc)
			}
			if ef := lookup(item, "env_file", nil); ef != nil {
				hasEnvFile = true
				envFiles = stringList(ef, d.sc)
			}
		}
		if len(paths) == 0 || slices.ContainsFunc(paths, isRemote) {
			continue
		}
		for i, p := range paths {
			if !filepath.IsAbs(p) {
				paths[i] = filepath.Join(d.sc.dir, p)
			}
		}
		switch {
		case projectDir == "":
			projectDir = filepath.Dir(paths[0])
		case !filepath.IsAbs(projectDir):
			projectDir = filepath.Join(d.sc.dir, projectDir)
		}
		if !hasEnvFile {
			f := filepath.Join(projectDir, ".env")
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				envFiles = []string{f}
			}
		} else {
			var kept []string
			for _, f := range envFiles {
				if f == "/dev/null" {
					continue
				}
				if !filepath.IsAbs(f) {
					f = filepath.Join(d.sc.dir, f)
				}
				kept = append(kept, f)
			}
			envFiles = kept
		}
		sub := &scope{dir: projectDir, env: maps.Clone(d.sc.env), parent: d.sc, shell: d.sc.shell}
		fromFiles := map[string]string{}
		for _, p := range envFiles {
			ef, err := readEnvFile(p, func(k string) (string, bool) {
				if v, ok := d.sc.env[k]; ok {
					return v, true
				}
				v, ok := fromFiles[k]
				return v, ok
			})
			if err != nil {
				if isRefusal(err) {
					d.ix.refused = append(d.ix.refused, err)
				}
				continue
			}
			maps.Copy(fromFiles, ef.vars)
			sub.envFiles = append(sub.envFiles, ef)
		}
		for k, v := range fromFiles {
			if _, ok := sub.env[k]; !ok {
				sub.env[k] = v
			}
		}
		for svc, es := range d.ix.replay(paths, sub, d.depth+1) {
			d.imported[svc] = append(d.imported[svc], es...)
		}
	}
}

// service replays one service of the document: imported entries, the
// extended base's entries, then its own, honouring !reset and !override.
func (d *docState) service(name string) *contribution {
	if c, ok := d.done[name]; ok {
		return c
	}
	if d.busy[name] {
		return &contribution{}
	}
	d.busy[name] = true
	defer delete(d.busy, name)

	var anchors []*yaml.Node
	svc := lookup(d.services, name, &anchors)
	c := &contribution{}
	if svc == nil {
		c.entries = d.imported[name]
		d.done[name] = c
		return c
	}
	if hasTag(svc, "!reset") {
		c.reset = true
		d.done[name] = c
		return c
	}
	c.reset = hasTag(svc, "!override")
	portsAnchors := slices.Clone(anchors)
	ports := lookup(svc, "ports", &portsAnchors)
	replaced := c.reset || hasTag(ports, "!reset") || hasTag(ports, "!override")
	if hasTag(ports, "!reset") || hasTag(ports, "!override") {
		c.reset = true
	}
	if !replaced {
		c.entries = append(c.entries, d.imported[name]...)
	}
	if ext := lookup(svc, "extends", nil); ext != nil && !replaced {
		c.entries = append(c.entries, d.extends(name, ext)...)
	}
	if ports != nil && ports.Kind == yaml.SequenceNode && !hasTag(ports, "!reset") {
		for _, item := range ports.Content {
			itemAnchors := slices.Clone(portsAnchors)
			it := resolve(item, &itemAnchors)
			if it == nil || hasTag(it, "!reset") {
				continue
			}
			pn := d.node(it, itemAnchors)
			pn.users[name] = true
			c.entries = append(c.entries, &portEntry{node: pn, scope: d.sc})
		}
	}
	d.done[name] = c
	return c
}

func (d *docState) node(item *yaml.Node, anchors []*yaml.Node) *portNode {
	if pn, ok := d.nodes[item]; ok {
		return pn
	}
	pn := &portNode{file: d.f, item: item, anchors: anchors, users: map[string]bool{}}
	switch item.Kind {
	case yaml.ScalarNode:
		pn.pub, pn.short = item, true
	case yaml.MappingNode:
		pn.pub = lookup(item, "published", &pn.anchors)
	}
	d.nodes[item] = pn
	return pn
}

// extends returns the port entries a service inherits (compose-go
// ApplyExtends): the base service in this document, or in another file
// resolved against this scope's directory, itself replayed with its own
// includes and extends.
func (d *docState) extends(name string, ext *yaml.Node) []*portEntry {
	var base, file string
	switch ext.Kind {
	case yaml.ScalarNode:
		base = interp(ext, d.sc)
	case yaml.MappingNode:
		base = interp(lookup(ext, "service", nil), d.sc)
		if f := lookup(ext, "file", nil); f != nil {
			file = interp(f, d.sc)
		}
	}
	if base == "" || isRemote(file) {
		return nil
	}
	if file == "" {
		if base == name {
			return nil
		}
		return d.service(base).entries
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(d.sc.dir, file)
	}
	if d.depth >= maxDepth {
		return nil
	}
	sub := &scope{dir: filepath.Dir(file), env: d.sc.env, envFiles: d.sc.envFiles, parent: d.sc.parent, shell: d.sc.shell}
	return d.ix.replay([]string{file}, sub, d.depth+1)[base]
}

// parse computes the ports an entry yields, the way compose-go's
// transformPorts does, so they can be matched with the loaded project.
func (e *portEntry) parse() []types.ServicePortConfig {
	if e.configs != nil {
		return e.configs
	}
	pn := e.node
	switch {
	case pn.short:
		cfgs, err := types.ParsePortConfig(interp(pn.item, e.scope))
		if err != nil {
			return nil
		}
		e.configs = cfgs
	case pn.item.Kind == yaml.MappingNode:
		cfg := types.ServicePortConfig{
			HostIP:    interp(lookup(pn.item, "host_ip", nil), e.scope),
			Published: interp(pn.pub, e.scope),
			Protocol:  interp(lookup(pn.item, "protocol", nil), e.scope),
		}
		t, err := strconv.ParseUint(interp(lookup(pn.item, "target", nil), e.scope), 10, 32)
		if err != nil {
			return nil
		}
		cfg.Target = uint32(t)
		e.configs = []types.ServicePortConfig{cfg}
	}
	return e.configs
}

// yields reports whether the entry yields the port id.
func (e *portEntry) yields(id portID) bool {
	if e.keys == nil {
		cfgs := e.parse()
		e.keys = make(map[portID]bool, len(cfgs))
		for _, c := range cfgs {
			e.keys[idOf(c)] = true
		}
	}
	return e.keys[id]
}

// portID is what makes two port configurations of a service the same
// published port: the host address, the published port or range, the
// container port and the protocol. Unset fields take the compose
// specification's defaults, so that a long-syntax entry without host_ip or
// protocol and a short "8080:80" are the same port: no host_ip means every
// interface, 0.0.0.0, and no protocol means tcp (protocol names are not
// case-sensitive).
type portID struct {
	hostIP    string
	published string
	target    uint32
	protocol  string
}

func idOf(p types.ServicePortConfig) portID {
	id := portID{hostIP: p.HostIP, published: p.Published, target: p.Target, protocol: strings.ToLower(p.Protocol)}
	if id.hostIP == "" {
		id.hostIP = "0.0.0.0"
	}
	if id.protocol == "" {
		id.protocol = "tcp"
	}
	return id
}
