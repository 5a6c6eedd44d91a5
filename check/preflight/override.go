package preflight

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v4"

	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// overrideHeader opens an override file that --fix --override creates.
const overrideHeader = "Written by compose-preflight --fix --override: published ports moved off\n" +
	"conflicts. `!override` replaces each service's whole ports list."

// fixOverride leaves the project's files alone and writes the moved ports
// into an override file with compose's !override tag, for compose files
// that are read-only, vendored or shared. The tag replaces a service's
// whole list, so every port of an affected service is repeated there.
func (r *Result) fixOverride(ctx context.Context, path string, dryRun bool) (*Fixed, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(r.opts.Load.WorkingDir, path)
	}
	moves := r.moves
	var moved []*Move
	for _, m := range moves {
		if m.to != 0 {
			m.manual, m.edits, m.envs = "", nil, nil
			moved = append(moved, m)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	exists := err == nil
	if err := r.insideProject(path, exists); err != nil {
		return nil, &FixError{Err: fmt.Errorf("nothing written: %w", err)}
	}
	lists := r.overridePorts(moved)
	out, err := mergeOverride(old, lists)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Rel(path), err)
	}
	p := &Fixed{Moved: moved, Override: path, OverrideUse: r.overrideUse(path)}
	if !exists {
		old = nil
	}
	if !bytes.Equal(old, out) {
		p.Changes = append(p.Changes, rewrite.Change{Path: path, Old: old, New: out})
	}
	for _, m := range moved {
		b := r.Project.Bindings[m.finding.Binding]
		p.Lines = append(p.Lines, fmt.Sprintf("%s: fixed: service %q %s -> %s (%s)", r.Rel(path), b.Service, m.oldText(), m.newText(), r.reason(m)))
	}
	p.Remaining = r.unfixed(p)
	load := r.opts.Load
	load.Files = slices.Clone(r.Project.ComposeFiles)
	if !slices.Contains(load.Files, path) {
		load.Files = append(load.Files, path)
	}
	if dryRun {
		return p, nil
	}
	if len(p.Changes) > 0 {
		if err := rewrite.WriteFiles(p.Changes); err != nil {
			return p, &FixError{Err: fmt.Errorf("nothing changed: %w", err)}
		}
		if err := r.verify(ctx, p, load); err != nil {
			if rerr := restore(undoOf(p)); rerr != nil {
				return p, &FixError{Err: fmt.Errorf("%v; and restoring the files failed: %v", err, rerr)}
			}
			return p, &FixError{Err: fmt.Errorf("every file restored: %w", err)}
		}
	}
	return p, nil
}

// overrideUse says how to make compose read the override file.
func (r *Result) overrideUse(path string) string {
	if slices.Contains(r.Project.ComposeFiles, path) {
		return ", which compose already reads"
	}
	var fs []string
	for _, f := range append(slices.Clone(r.Project.ComposeFiles), path) {
		fs = append(fs, r.Rel(f))
	}
	sep := string(os.PathListSeparator)
	s := "; use it with docker compose -f " + strings.Join(fs, " -f ") + " up, or COMPOSE_FILE=" + strings.Join(fs, sep)
	if filepath.Base(path) != "compose.override.yaml" {
		s += ", or name it compose.override.yaml"
	}
	return s
}

// overridePorts returns, for each service a move touches, its whole final
// ports list with the moved ports changed.
func (r *Result) overridePorts(moved []*Move) map[string][]types.ServicePortConfig {
	lists := map[string][]types.ServicePortConfig{}
	for _, m := range moved {
		shift := int(m.to) - int(m.from)
		for _, i := range m.bindings {
			b := r.Project.Bindings[i]
			if _, ok := lists[b.Service]; !ok {
				lists[b.Service] = slices.Clone(r.Project.Ports[b.Service])
			}
			ports := lists[b.Service]
			for j, pc := range ports {
				if pc.HostIP == b.HostIP && pc.Published == b.Published && pc.Target == b.Target && pc.Protocol == b.Protocol {
					ports[j].Published = shiftPorts(b, shift)
				}
			}
		}
	}
	return lists
}

// shiftPorts is the published text of b moved by shift: "8080" or
// "9000-9005", from the numbers compose read.
func shiftPorts(b compose.Binding, shift int) string {
	if b.First == b.Last && !strings.Contains(b.Published, "-") {
		return strconv.Itoa(int(b.First) + shift)
	}
	return fmt.Sprintf("%d-%d", int(b.First)+shift, int(b.Last)+shift)
}

// portNode renders one port in long syntax, with only what is set.
func portNode(pc types.ServicePortConfig) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	str := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle}
	}
	add("target", &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatUint(uint64(pc.Target), 10)})
	if pc.Published != "" {
		add("published", str(pc.Published))
	}
	if pc.HostIP != "" {
		add("host_ip", str(pc.HostIP))
	}
	add("protocol", &yaml.Node{Kind: yaml.ScalarNode, Value: pc.Protocol})
	if pc.Name != "" {
		add("name", str(pc.Name))
	}
	if pc.AppProtocol != "" {
		add("app_protocol", str(pc.AppProtocol))
	}
	return n
}

// mergeOverride sets services.NAME.ports: !override [...] for each list
// in old (an existing override file, or nothing), leaving its other
// content in place. An existing file is re-encoded, so its layout may
// change; its content does not.
func mergeOverride(old []byte, lists map[string][]types.ServicePortConfig) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := yaml.Unmarshal(old, doc); err != nil {
			return nil, fmt.Errorf("not valid YAML: %w", err)
		}
	}
	if len(doc.Content) == 0 {
		doc.Content = []*yaml.Node{{Kind: yaml.MappingNode, HeadComment: overrideHeader}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the top level is not a mapping")
	}
	services := child(root, "services")
	names := make([]string, 0, len(lists))
	for name := range lists {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		svc := child(services, name)
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!override"}
		for _, pc := range lists[name] {
			seq.Content = append(seq.Content, portNode(pc))
		}
		set(svc, "ports", seq)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// child returns the mapping under key in m, adding it when absent.
func child(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	set(m, key, n)
	return n
}

// set puts value under key in m, replacing what was there.
func set(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}
