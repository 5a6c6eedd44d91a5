package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	jsonschemakind "github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// TestSchemaPassesMetaSchema holds the premise of prepareSchema: the check
// it skips passes. Compiled where compose-go compiles it, the document is
// checked against the draft 2020-12 meta-schema.
func TestSchemaPassesMetaSchema(t *testing.T) {
	if _, err := compileSchema("compose-spec.json"); err != nil {
		t.Fatalf("compose-go's schema fails its meta-schema: %v", err)
	}
	// and the check is real: a document that breaks the meta-schema is
	// refused where compose-go registers it, accepted where we do
	bad := map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 12}
	for loc, wantErr := range map[string]bool{"bad.json": true, "https://json-schema.org/bad.json": false} {
		c := jsonschema.NewCompiler()
		if err := c.AddResource(loc, bad); err != nil {
			t.Fatal(err)
		}
		_, err := c.Compile(loc)
		var serr *jsonschema.SchemaValidationError
		if got := errors.As(err, &serr); got != wantErr {
			t.Errorf("%s: meta-schema error %v, want %v (%v)", loc, got, wantErr, err)
		}
	}
}

// TestSchemaSameVerdicts validates documents with the schema compiled as
// compose-go compiles it and as prepareSchema does, and requires the same
// verdict and the same error tree (up to the schema's own address, which
// compose-go's messages never show): every compose file of the
// repository and of the shared corpus, each also broken in a few ways.
func TestSchemaSameVerdicts(t *testing.T) {
	ref, err := compileSchema("compose-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	fast, err := compileSchema(schemaLocation)
	if err != nil {
		t.Fatal(err)
	}
	docs := schemaDocuments(t)
	var valid, invalid int
	for _, d := range docs {
		want := describeValidation(ref.Validate(d.doc))
		got := describeValidation(fast.Validate(d.doc))
		if got != want {
			t.Errorf("%s: verdicts differ\ncompose-go's compilation:\n%s\nprepareSchema's:\n%s", d.name, want, got)
		}
		if want == "valid" {
			valid++
		} else {
			invalid++
		}
	}
	t.Logf("%d documents compared: %d valid, %d invalid", len(docs), valid, invalid)
	if valid < 20 || invalid < 40 {
		t.Fatalf("too few documents to compare: %d valid, %d invalid", valid, invalid)
	}
}

// schemaAddress is the schema's own address in either compilation.
var schemaAddress = regexp.MustCompile(`(file://[^#\s"']*|https://json-schema\.org/)compose[-_]spec\.json`)

// describeValidation renders a validation result as compose-go could see
// it: each error's instance path, schema keyword and message, with causes.
func describeValidation(err error) string {
	if err == nil {
		return "valid"
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return "error: " + err.Error()
	}
	p := message.NewPrinter(language.English)
	var walk func(e *jsonschema.ValidationError, depth int) string
	walk = func(e *jsonschema.ValidationError, depth int) string {
		kind := e.ErrorKind
		if k, ok := kind.(*jsonschemakind.AdditionalProperties); ok {
			// the names are listed in map order too
			kind = &jsonschemakind.AdditionalProperties{Properties: slices.Sorted(slices.Values(k.Properties))}
		}
		line := strings.Repeat("  ", depth) + strings.Join(e.InstanceLocation, ".") + " | " + e.SchemaURL + " | " + kind.LocalizedString(p) + "\n"
		// jsonschema lists some causes in map order, which changes from
		// run to run in either compilation: compare them as a set
		causes := make([]string, len(e.Causes))
		for i, c := range e.Causes {
			causes[i] = walk(c, depth+1)
		}
		slices.Sort(causes)
		return line + strings.Join(causes, "")
	}
	return schemaAddress.ReplaceAllString(walk(verr, 0), "<schema>")
}

type schemaDocument struct {
	name string
	doc  any
}

// schemaDocuments reads every YAML document of the repository's compose
// fixtures and examples, and of the shared corpus when it is there, in
// the JSON form compose-go validates, plus broken variants of each.
func schemaDocuments(t *testing.T) []schemaDocument {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(root, "compose", "testdata"), filepath.Join(root, "cmd"), filepath.Join(root, "examples"), filepath.Join(root, "internal")}
	if corpus := filepath.Join(filepath.Dir(root), "shared", "corpus"); isDir(corpus) {
		dirs = append(dirs, corpus)
	} else {
		t.Logf("the shared corpus is not available: the repository's files only")
	}
	var docs []schemaDocument
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.Type().IsRegular() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				return nil
			}
			if info, err := e.Info(); err != nil || info.Size() > 1<<20 {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			dec := yaml.NewDecoder(bytes.NewReader(src))
			for i := 0; ; i++ {
				var raw any
				if err := dec.Decode(&raw); err != nil {
					break // io.EOF or a file that is not YAML: nothing to compare
				}
				doc, ok := jsonForm(raw)
				if !ok {
					continue
				}
				name, _ := filepath.Rel(filepath.Dir(root), path)
				if i > 0 {
					name += fmt.Sprintf(" (document %d)", i+1)
				}
				docs = append(docs, schemaDocument{name, doc})
				for what, broken := range breakDocument(raw) {
					if bd, ok := jsonForm(broken); ok {
						docs = append(docs, schemaDocument{name + " (" + what + ")", bd})
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// jsonForm is what compose-go's schema.Validate does to a dict before
// validating it: a round trip through encoding/json. Documents that are
// not mappings with string keys are not compose files.
func jsonForm(v any) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	return out, true
}

// breakDocument returns copies of a compose document with one service
// broken in ways that reach different parts of the schema: wrong types at
// several depths, an unknown key, a bad enum.
func breakDocument(v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	services, ok := m["services"].(map[string]any)
	if !ok || len(services) == 0 {
		return nil
	}
	var name string
	for n := range services {
		if name == "" || n < name {
			name = n
		}
	}
	out := map[string]any{}
	for what, change := range map[string]func(s map[string]any){
		"ports is a string":     func(s map[string]any) { s["ports"] = "8080:80" },
		"unknown key":           func(s map[string]any) { s["publish"] = []any{"80"} },
		"retries is text":       func(s map[string]any) { s["healthcheck"] = map[string]any{"retries": "three"} },
		"port entry is a map":   func(s map[string]any) { s["ports"] = []any{map[string]any{"target": "eighty", "mode": "sideways"}} },
		"restart is a list":     func(s map[string]any) { s["restart"] = []any{"always"} },
		"deploy replicas words": func(s map[string]any) { s["deploy"] = map[string]any{"replicas": map[string]any{}} },
	} {
		c := deepCopy(m).(map[string]any)
		s, ok := c["services"].(map[string]any)[name].(map[string]any)
		if !ok {
			s = map[string]any{}
			c["services"].(map[string]any)[name] = s
		}
		change(s)
		out[what] = c
	}
	return out
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// TestSchemaBoundToComposeGo checks that the names in schema.go are
// compose-go's own variables: a compilation result put there is what
// compose-go's schema.Validate uses. It runs in a fresh process, where
// nothing has compiled the schema yet.
func TestSchemaBoundToComposeGo(t *testing.T) {
	const env = "COMPOSE_PREFLIGHT_SCHEMA_CHILD"
	sentinel := errors.New("compiled by compose-preflight")
	if os.Getenv(env) == "1" {
		composeSchemaOnce.Do(func() { composeSchemaErr = sentinel })
		if err := schema.Validate(map[string]any{}); !errors.Is(err, sentinel) {
			t.Fatalf("compose-go's schema.Validate returned %v, not the error set through the bound variables", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSchemaBoundToComposeGo$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("PASS")) {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}

// composeGoSchemaSource is the SHA-256 of the parts of compose-go's
// schema/schema.go that schema.go stands in for: the declarations of the
// three variables, compileSchema and durationFormatChecker (as gofmt
// prints them). A compose-go release that changes any of them fails this
// test: read the new code, bring schema.go in line, then update the hash.
const composeGoSchemaSource = "3233e91ab2866b67067dc6569a0a3d3701e64e2d653f5eb8ea6d9c1df5dc5475"

// TestSchemaSourceUnchanged holds compose-go's code behind the bound
// variables to the code schema.go was written against.
func TestSchemaSourceUnchanged(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/compose-spec/compose-go/v2").Output()
	if err != nil {
		t.Skipf("cannot locate compose-go's source with go list: %v", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "schema", "schema.go")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[string]bool{"compiledSchema": true, "compiledSchemaErr": true, "compiledSchemaOnce": true, "compileSchema": true, "durationFormatChecker": true}
	var src bytes.Buffer
	found := map[string]bool{}
	print := func(node any) {
		if err := printer.Fprint(&src, fset, node); err != nil {
			t.Fatal(err)
		}
		src.WriteString("\n")
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if wanted[d.Name.Name] {
				found[d.Name.Name] = true
				d.Doc = nil
				print(d)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				vs, ok := spec.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for _, n := range vs.Names {
					if wanted[n.Name] {
						found[n.Name] = true
						vs.Doc, vs.Comment = nil, nil
						print(&ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{vs}})
						break
					}
				}
			}
		}
	}
	for n := range wanted {
		if !found[n] {
			t.Errorf("%s no longer declares %s: compose/schema.go must change with it", path, n)
		}
	}
	sum := sha256.Sum256(src.Bytes())
	if got := hex.EncodeToString(sum[:]); got != composeGoSchemaSource {
		t.Fatalf("compose-go's schema code changed (%s), hash %s:\n%s\nCheck compose/schema.go against it, then set composeGoSchemaSource to the new hash.", path, got, src.String())
	}
}

// BenchmarkSchemaCompile compiles the compose-spec schema as compose-go
// does and as prepareSchema does: the difference is the meta-schema check
// of a constant document, saved on every run.
func BenchmarkSchemaCompile(b *testing.B) {
	for _, bc := range []struct{ name, loc string }{{"compose-go", "compose-spec.json"}, {"prepared", schemaLocation}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := compileSchema(bc.loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
