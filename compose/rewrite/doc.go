// Package rewrite holds the low-level editing primitives that compose-preflight's --fix is
// built on: splicing new port digits into a YAML file at known byte spans, setting one
// variable in a .env file, writing a set of files as one all-or-nothing transaction, a
// per-project lock so two --fix runs never interleave, and a unified diff for --dry-run.
//
// The package knows nothing about compose projects. Callers (package compose) locate the
// bytes to change; this package only guarantees that nothing else changes: YAML is never
// re-marshalled, so comments, quoting, anchors, key order, blank lines, CRLF line endings,
// a byte order mark and the trailing newline survive byte for byte. Every edit is checked
// by re-parsing the result with the same parsers compose-go uses (go.yaml.in/yaml/v4 and
// compose-go's dotenv), and refused when the parsed result is not exactly the intended one.
package rewrite
