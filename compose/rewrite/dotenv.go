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

	"github.com/compose-preflight/compose-preflight/compose/internal/envscan"
)

// envKeyPattern is the variable name syntax of compose interpolation (template package):
// only such a variable can supply a port, so only such a key is ever set.
// It is compiled when --fix first needs it, not at every start of the tool.
var envKeyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

func lineOf(src []byte, off int) int { return bytes.Count(src[:off], []byte("\n")) + 1 }

// EnvValuePos returns the 1-based line and column (counted in characters, a byte order
// mark not counted) of the value of key's effective definition in a .env file, for
// messages such as ".env:3:10". For a quoted value it is the first character inside the
// quotes. ok is false when the file does not parse or does not assign key.
func EnvValuePos(src []byte, key string) (line, col int, ok bool) {
	stmts, err := envscan.Scan(src)
	if err != nil {
		return 0, 0, false
	}
	st, found := envscan.Last(stmts, key)
	if !found {
		return 0, 0, false
	}
	line, col = envscan.Position(src, st.ValueStart)
	return line, col, true
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
	stmts, err := envscan.Scan(src)
	if err != nil {
		return nil, fmt.Errorf("the env file does not parse: %w", err)
	}
	defined := map[string]bool{key: true}
	for _, st := range stmts {
		defined[st.Key] = true
	}
	before, err := parseEnv(src, quietLookup(defined, "", ""))
	if err != nil {
		return nil, fmt.Errorf("the env file does not parse: %w", err)
	}

	var out []byte
	if st, found := envscan.Last(stmts, key); found {
		if bytes.ContainsAny(src[st.ValueStart:st.ValueEnd], "\n") {
			return nil, fmt.Errorf("line %d: %s has a multi-line quoted value: edit it by hand", lineOf(src, st.ValueStart), key)
		}
		out = make([]byte, 0, len(src)+len(value))
		out = append(out, src[:st.ValueStart]...)
		out = append(out, value...)
		out = append(out, src[st.ValueEnd:]...)
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
