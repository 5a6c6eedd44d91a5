package compose

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compose-go validates every file against the compose-spec JSON schema,
// which it compiles once per process behind a sync.Once (schema.go,
// compileSchema). Compiling costs about 20 ms here, the largest part of a
// first load, and almost half of it is jsonschema checking the schema
// document itself against the draft 2020-12 meta-schema: the same constant
// document, found valid, on every run. compose-go offers no way to hand it
// a compiled schema, so these three names are bound to its own variables
// and prepareSchema fills them first, with the same document, format and
// compiler settings, under an address jsonschema does not check against
// the meta-schema. Which files load and which fail is unchanged; the
// tests in schema_test.go hold each part of that (the document passes the
// meta-schema, both compilations give the same verdict and errors, and
// compose-go's code behind these names is the code this was written for).

//go:linkname composeSchema github.com/compose-spec/compose-go/v2/schema.compiledSchema
var composeSchema *jsonschema.Schema

//go:linkname composeSchemaErr github.com/compose-spec/compose-go/v2/schema.compiledSchemaErr
var composeSchemaErr error

//go:linkname composeSchemaOnce github.com/compose-spec/compose-go/v2/schema.compiledSchemaOnce
var composeSchemaOnce sync.Once

// schemaLocation is where the schema document is registered. jsonschema
// skips the meta-schema check for documents under json-schema.org (its
// own meta-schemas); the location appears nowhere in compose-go's
// messages, which name the instance path and the kind of error only. The
// document has no references outside itself, so nothing is fetched.
const schemaLocation = "https://json-schema.org/compose-spec.json"

// prepareSchema compiles compose-go's schema for it, unless compose-go
// already has. It is safe to call from several goroutines, and any
// number of times.
func prepareSchema() {
	composeSchemaOnce.Do(func() {
		composeSchema, composeSchemaErr = compileSchema(schemaLocation)
	})
}

// compileSchema compiles the compose-spec schema as compose-go's
// compileSchema does, registered at loc.
func compileSchema(loc string) (*jsonschema.Schema, error) {
	compiler := jsonschema.NewCompiler()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.Schema))
	if err != nil {
		return nil, err
	}
	if err := compiler.AddResource(loc, doc); err != nil {
		return nil, err
	}
	compiler.RegisterFormat(&jsonschema.Format{
		Name:     "duration",
		Validate: durationFormatChecker,
	})
	return compiler.Compile(loc)
}

// durationFormatChecker is compose-go's check of the "duration" format.
func durationFormatChecker(input any) error {
	value, ok := input.(string)
	if !ok {
		return fmt.Errorf("expected string")
	}
	_, err := time.ParseDuration(value)
	return err
}
