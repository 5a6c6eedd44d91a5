package compose

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/dotenv"
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
	return &envFile{path: path, vars: parsed, defs: envDefs(string(src))}, nil
}

// envDefs finds the position of the last statement defining each key. It
// follows the statement boundaries of compose-go's dotenv parser (comments,
// `export`, KEY=VALUE or KEY: VALUE, quoted values spanning lines) since
// that parser reports no positions.
func envDefs(src string) map[string]envDef {
	defs := map[string]envDef{}
	src = strings.TrimPrefix(src, "\ufeff")
	pos := 0
	for pos < len(src) {
		// statement start: skip blanks and comment lines
		for pos < len(src) && unicode.IsSpace(rune(src[pos])) {
			pos++
		}
		if pos >= len(src) {
			break
		}
		if src[pos] == '#' {
			nl := strings.IndexByte(src[pos:], '\n')
			if nl < 0 {
				break
			}
			pos += nl
			continue
		}
		start := pos
		rest := src[pos:]
		if strings.HasPrefix(rest, "export") && len(rest) > 6 && (rest[6] == ' ' || rest[6] == '\t') {
			pos += 6
			for pos < len(src) && (src[pos] == ' ' || src[pos] == '\t') {
				pos++
			}
			start = pos
		}
		end := strings.IndexAny(src[pos:], "=:\n")
		if end < 0 {
			break
		}
		key := strings.TrimSpace(src[pos : pos+end])
		sep := src[pos+end]
		pos += end + 1
		if key != "" {
			line, col := lineCol(src, start)
			defs[key] = envDef{line: line, column: col}
		}
		if sep == '\n' {
			continue
		}
		for pos < len(src) && (src[pos] == ' ' || src[pos] == '\t') {
			pos++
		}
		if pos < len(src) && (src[pos] == '"' || src[pos] == '\'') {
			quote := src[pos]
			escaped := false
			pos++
			for pos < len(src) {
				c := src[pos]
				pos++
				if escaped {
					escaped = false
					continue
				}
				if c == '\\' {
					escaped = true
					continue
				}
				if c == quote {
					break
				}
			}
		}
		nl := strings.IndexByte(src[pos:], '\n')
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	return defs
}

// lineCol turns a byte offset into a 1-based line and character column.
func lineCol(src string, off int) (int, int) {
	line := 1 + strings.Count(src[:off], "\n")
	ls := strings.LastIndexByte(src[:off], '\n') + 1
	return line, utf8.RuneCountInString(src[ls:off]) + 1
}
