package compose

import (
	"fmt"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/compose-preflight/compose-preflight/compose/internal/envscan"
)

// envFile is one parsed env file: its values (as compose-go's dotenv reads
// them) and where each key is last defined, which is the definition that
// counts and the one a rewrite must change.
type envFile struct {
	path string
	vars map[string]string
	defs map[string]envDef
}

// envDef is the position of a KEY=VALUE statement.
type envDef struct {
	line, column int // 1-based; column in characters
}

// readEnvFile parses path with compose-go's dotenv parser, resolving
// ${VAR} in values with lookup then with earlier keys of the same file, as
// compose-go does.
func readEnvFile(path string, lookup func(string) (string, bool)) (*envFile, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	parsed, err := dotenv.UnmarshalBytesWithLookup(src, func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, true
		}
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &envFile{path: path, vars: parsed, defs: envDefs(src)}, nil
}

// envDefs finds the position of the statement that gives each key its
// value: the last one assigning it (see envscan.Last). The file has parsed with compose-go's reader
// already; a file the scanner cannot cut gives no positions.
func envDefs(src []byte) map[string]envDef {
	stmts, err := envscan.Scan(src)
	if err != nil {
		return nil
	}
	defs := map[string]envDef{}
	for _, st := range stmts {
		if !st.Bare { // a later statement overwrites an earlier one
			line, col := envscan.Position(src, st.KeyStart)
			defs[st.Key] = envDef{line: line, column: col}
		}
	}
	return defs
}
