package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// envKeyPattern is the variable name syntax of compose interpolation (template package):
// only such a variable can supply a port, so only such a key is ever set.
// It and envExport are compiled when --fix first needs them, not at every
// start of the tool.
var envKeyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// envExport mirrors the dotenv parser's exportRegex.
var envExport = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^export\s+`) })

// envStmt is one statement of a .env file as compose-go's dotenv parser sees it, with the
// byte span of its value in the original file (BOM included).
type envStmt struct {
	key       string
	inherited bool // a bare "KEY" line: the value comes from the environment
	quote     byte // 0 (unquoted), '\'' or '"'
	valStart  int
	valEnd    int
}

// scanEnv walks src exactly like compose-go's dotenv parser (dotenv/parser.go, v2.16.2)
// but records where each value is instead of its expanded text. It does not expand
// variables; SetEnv re-parses with the real parser to confirm what it wrote.
func scanEnv(src []byte) ([]envStmt, error) {
	s := string(src)
	pos := 0
	if strings.HasPrefix(s, "\uFEFF") {
		pos = len("\uFEFF")
	}
	var stmts []envStmt
	for {
		// getStatementStart: skip white space (line breaks included) and comment lines.
		for {
			i := strings.IndexFunc(s[pos:], func(r rune) bool { return !unicode.IsSpace(r) })
			if i < 0 {
				return stmts, nil
			}
			pos += i
			if s[pos] != '#' {
				break
			}
			j := strings.IndexByte(s[pos:], '\n')
			if j < 0 {
				return stmts, nil
			}
			pos += j
		}

		// locateKeyName
		rest := s[pos:]
		if envExport().MatchString(rest) {
			rest = strings.TrimLeftFunc(strings.TrimPrefix(rest, "export"), envIsSpace)
		}
		if rest == "" {
			return nil, fmt.Errorf("line %d: \"export\" without a variable", lineOf(src, pos))
		}
		key, offset, inherited := "", 0, false
	keyLoop:
		for i, r := range rest {
			if envIsSpace(r) {
				continue
			}
			switch r {
			case '=', ':', '\n':
				key, offset, inherited = rest[:i], i+1, r == '\n'
				break keyLoop
			case '_', '.', '-', '[', ']':
			default:
				if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
					return nil, fmt.Errorf("line %d: unexpected character %q in variable name", lineOf(src, len(s)-len(rest)+i), r)
				}
			}
		}
		key = strings.TrimRightFunc(key, unicode.IsSpace)
		if strings.Contains(key, " ") {
			return nil, fmt.Errorf("line %d: key cannot contain a space", lineOf(src, pos))
		}
		val := strings.TrimLeftFunc(rest[offset:], envIsSpace)
		valPos := len(s) - len(val)
		if inherited {
			stmts = append(stmts, envStmt{key: key, inherited: true, valStart: valPos, valEnd: valPos})
			pos = valPos
			continue
		}

		// extractVarValue
		if val != "" && (val[0] == '"' || val[0] == '\'') {
			quote := val[0]
			end := -1
			escaped := false
			for i := 1; i < len(val); i++ {
				c := val[i]
				if c != quote {
					if !escaped && c == '\\' {
						escaped = true
						continue
					}
					escaped = false
					continue
				}
				if escaped {
					escaped = false
					continue
				}
				end = i
				break
			}
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated quoted value", lineOf(src, valPos))
			}
			stmts = append(stmts, envStmt{key: key, quote: quote, valStart: valPos + 1, valEnd: valPos + end})
			pos = valPos + end + 1
			continue
		}
		line, _, more := strings.Cut(val, "\n")
		v, _, _ := strings.Cut(line, " #")
		v = strings.TrimRightFunc(v, unicode.IsSpace)
		stmts = append(stmts, envStmt{key: key, valStart: valPos, valEnd: valPos + len(v)})
		pos = valPos + len(line)
		if more {
			pos++
		}
	}
}

// envIsSpace mirrors the dotenv parser's isSpace: white space other than a line feed.
func envIsSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

func lineOf(src []byte, off int) int { return bytes.Count(src[:off], []byte("\n")) + 1 }

// lastEnvDef returns the statement that gives key its value: the last assignment. A bare
// "KEY" line only matters when KEY is set in the environment, and a variable set there
// cannot be fixed in a file anyway (the caller reports that), so it is skipped.
func lastEnvDef(stmts []envStmt, key string) (envStmt, bool) {
	for i := len(stmts) - 1; i >= 0; i-- {
		if stmts[i].key == key && !stmts[i].inherited {
			return stmts[i], true
		}
	}
	return envStmt{}, false
}

// EnvValuePos returns the 1-based line and column (counted in characters, a byte order
// mark not counted) of the value of key's effective definition in a .env file, for
// messages such as ".env:3:10". For a quoted value it is the first character inside the
// quotes. ok is false when the file does not parse or does not assign key.
func EnvValuePos(src []byte, key string) (line, col int, ok bool) {
	stmts, err := scanEnv(src)
	if err != nil {
		return 0, 0, false
	}
	st, found := lastEnvDef(stmts, key)
	if !found {
		return 0, 0, false
	}
	start := bytes.LastIndexByte(src[:st.valStart], '\n') + 1
	if start == 0 && bytes.HasPrefix(src, utf8BOM) {
		start = len(utf8BOM)
	}
	return lineOf(src, st.valStart), utf8.RuneCount(src[start:st.valStart]) + 1, true
}

// SetEnv returns a copy of the .env file src in which key's effective (last) definition
// has the value value, or, when the file does not assign key, with "key=value" appended.
//
// Only the value's bytes change: "export", the key/separator spelling, the quotes and an
// inline comment stay. Both versions are parsed with compose-go's dotenv parser (the one
// docker compose uses) and the result is refused unless key now reads value and every
// other key reads as before, except keys whose value interpolates key. A multi-line quoted
// value is refused: it is not a port, and rewriting it would change the line numbers
// users see. So is a value the parser would read differently than written (a "$" in an
// unquoted or double-quoted value, a " #" in an unquoted one, a quote of the same kind).
func SetEnv(src []byte, key, value string) ([]byte, error) {
	if !envKeyPattern().MatchString(key) {
		return nil, fmt.Errorf("refusing to set %q: not a variable name compose can interpolate", key)
	}
	if strings.ContainsAny(value, "\n\r\x00") {
		return nil, fmt.Errorf("refusing to set %s: the value contains a line break or NUL", key)
	}
	stmts, err := scanEnv(src)
	if err != nil {
		return nil, fmt.Errorf("the env file does not parse: %w", err)
	}
	defined := map[string]bool{key: true}
	for _, st := range stmts {
		defined[st.key] = true
	}
	before, err := parseEnv(src, quietLookup(defined, "", ""))
	if err != nil {
		return nil, fmt.Errorf("the env file does not parse: %w", err)
	}

	var out []byte
	if st, found := lastEnvDef(stmts, key); found {
		if bytes.ContainsAny(src[st.valStart:st.valEnd], "\n") {
			return nil, fmt.Errorf("line %d: %s has a multi-line quoted value: edit it by hand", lineOf(src, st.valStart), key)
		}
		out = make([]byte, 0, len(src)+len(value))
		out = append(out, src[:st.valStart]...)
		out = append(out, value...)
		out = append(out, src[st.valEnd:]...)
	} else {
		text, err := envLiteral(value)
		if err != nil {
			return nil, fmt.Errorf("refusing to append %s: %w", key, err)
		}
		eol := "\n"
		if bytes.Contains(src, []byte("\r\n")) {
			eol = "\r\n"
		}
		out = append([]byte(nil), src...)
		switch {
		case len(out) == 0, out[len(out)-1] == '\n':
		case out[len(out)-1] == '\r':
			out = append(out, '\n')
		default:
			out = append(out, eol...)
		}
		out = append(out, key+"="+text+eol...)
	}

	if err := verifyEnvEdit(src, out, defined, before, key, value); err != nil {
		return nil, err
	}
	return out, nil
}

// envLiteral spells value for a new "KEY=value" line: bare when the parser reads it
// verbatim, in single quotes (no escapes, no interpolation) otherwise.
func envLiteral(value string) (string, error) {
	plain := true
	for _, r := range value {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_.:/,@+=-%", r))) {
			plain = false
			break
		}
	}
	switch {
	case plain:
		return value, nil
	case !strings.ContainsAny(value, `'\`):
		return "'" + value + "'", nil
	default:
		return "", errors.New("the value contains both a quote and a backslash")
	}
}

func parseEnv(src []byte, lookup dotenv.LookupFn) (map[string]string, error) {
	// ParseWithLookup strips a byte order mark like docker compose's env file loading
	// (dotenv.GetEnvFromFile); UnmarshalBytesWithLookup would not.
	return dotenv.ParseWithLookup(bytes.NewReader(src), lookup)
}

// quietLookup is the environment the verification parses see: force (when not "") is set
// to forceValue, a variable the file defines is left to the file, and any other variable
// is set and empty. The last keeps the parser from logging "variable is not set" warnings
// for ${HOME} and the like on every --fix; the verification compares two parses made with
// the same lookup, so the shell's real values do not matter to it.
func quietLookup(defined map[string]bool, force, forceValue string) dotenv.LookupFn {
	return func(k string) (string, bool) {
		switch {
		case force != "" && k == force:
			return forceValue, true
		case defined[k]:
			return "", false
		}
		return "", true
	}
}

// verifyEnvEdit re-parses the edited file and checks that key reads value and that no
// other key changed. A key that interpolates key may change with it: parsing both versions
// with key forced to the new value in the lookup (which the parser consults before the
// file) makes such keys equal again, so any remaining difference is a real breakage.
func verifyEnvEdit(src, out []byte, defined map[string]bool, before map[string]string, key, value string) error {
	after, err := parseEnv(out, quietLookup(defined, "", ""))
	if err != nil {
		return fmt.Errorf("the edited env file no longer parses: %w", err)
	}
	if got, ok := after[key]; !ok || got != value {
		return fmt.Errorf("refusing to set %s=%q: the env parser would read it as %q", key, value, got)
	}
	forcedBefore, err1 := parseEnv(src, quietLookup(defined, key, value))
	forcedAfter, err2 := parseEnv(out, quietLookup(defined, key, value))
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("the env file does not parse with %s=%q: %w", key, value, err)
	}
	for k := range after {
		if _, ok := before[k]; !ok && k != key {
			return fmt.Errorf("setting %s would define %s too", key, k)
		}
	}
	for k, v := range before {
		if k == key {
			continue
		}
		nv, ok := after[k]
		if !ok {
			return fmt.Errorf("setting %s would remove %s", key, k)
		}
		if forcedBefore[k] != forcedAfter[k] {
			return fmt.Errorf("setting %s would change %s from %q to %q", key, k, v, nv)
		}
	}
	return nil
}
