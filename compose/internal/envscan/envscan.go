// Package envscan finds the statements of an env file (.env, --env-file,
// env_file) and where each one is in the file's bytes. compose-go's dotenv
// package reads the values but keeps no positions; the source of a port
// (".env:3:1") and a --fix edit of one value need them. Both use this one
// scanner.
//
// The format is the one docker compose documents for env files: one
// KEY=VALUE statement a line ("KEY: VALUE" and a leading "export " are
// accepted too), blank lines and lines starting with # ignored, a value
// bare, in single quotes (literal) or in double quotes (escapes), where
// quotes may hold line breaks and a backslash keeps a quote from closing
// them; a bare value ends at the line break, and " #" starts a comment in
// it. A key alone on its line takes its value from the environment. The
// scanner follows compose-go's reading where the documentation is silent
// (which characters a key may hold, what follows a closing quote), so that
// it cuts the file into the statements compose-go reads; the tests check
// it against compose-go's parser.
package envscan

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Statement is one statement of an env file.
type Statement struct {
	Key string
	// KeyStart is the byte offset of the key's first byte, after any
	// "export".
	KeyStart int
	// Bare is a key alone on its line, with no value of its own.
	Bare bool
	// Quote is the value's quote, '\'' or '"', or 0 for a bare value.
	Quote byte
	// ValueStart and ValueEnd delimit the value as written, inside its
	// quotes, without a trailing comment or blanks.
	ValueStart, ValueEnd int
}

const bom = "\uFEFF"

// Scan cuts src into statements, in file order. It fails, naming the
// line, where compose-go's parser fails on the statement structure: a
// character a key cannot hold, a key with a space in it, a quote never
// closed, "export" with nothing after it. It reads no value: escapes and
// ${VAR} are compose-go's to expand.
func Scan(src []byte) ([]Statement, error) {
	s := &scanner{src: string(src)}
	if strings.HasPrefix(s.src, bom) {
		s.pos = len(bom)
	}
	var stmts []Statement
	for s.nextStatement() {
		st, err := s.statement()
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, st)
	}
	return stmts, nil
}

// Last is the statement that gives key its value: the last one assigning
// it. A bare line is skipped: it counts only when the environment has the
// key, and then the environment, not the file, is where the value is set.
func Last(stmts []Statement, key string) (Statement, bool) {
	for i := len(stmts) - 1; i >= 0; i-- {
		if stmts[i].Key == key && !stmts[i].Bare {
			return stmts[i], true
		}
	}
	return Statement{}, false
}

// Position turns a byte offset of src into a 1-based line and column, the
// column counted in characters, as editors show it (a byte order mark is
// not a character of the first line).
func Position(src []byte, off int) (line, col int) {
	text := string(src[:off])
	line = 1 + strings.Count(text, "\n")
	lineStart := strings.LastIndexByte(text, '\n') + 1
	if lineStart == 0 && strings.HasPrefix(text, bom) {
		lineStart = len(bom)
	}
	return line, utf8.RuneCountInString(text[lineStart:]) + 1
}

type scanner struct {
	src string
	pos int
}

// blank is white space within a line: a line break is not blank.
func blank(r rune) bool {
	switch r {
	case ' ', '\t', '\v', '\f', '\r', 0x85, 0xA0:
		return true
	}
	return false
}

func (s *scanner) line(off int) int { return 1 + strings.Count(s.src[:off], "\n") }

// nextStatement moves past white space (line breaks included) and comment
// lines to where the next statement starts, and reports whether one does.
func (s *scanner) nextStatement() bool {
	for {
		i := strings.IndexFunc(s.src[s.pos:], func(r rune) bool { return !unicode.IsSpace(r) })
		if i < 0 {
			s.pos = len(s.src)
			return false
		}
		s.pos += i
		if s.src[s.pos] != '#' {
			return true
		}
		nl := strings.IndexByte(s.src[s.pos:], '\n')
		if nl < 0 {
			s.pos = len(s.src)
			return false
		}
		s.pos += nl
	}
}

// afterExport is where the key starts when the statement begins with the
// word export and white space, else -1.
func (s *scanner) afterExport() int {
	rest, ok := strings.CutPrefix(s.src[s.pos:], "export")
	if !ok || rest == "" || !strings.ContainsRune(" \t\n\f\r", rune(rest[0])) {
		return -1
	}
	return len(s.src) - len(strings.TrimLeftFunc(rest, blank))
}

func (s *scanner) statement() (Statement, error) {
	st := Statement{KeyStart: s.pos}
	if k := s.afterExport(); k >= 0 {
		st.KeyStart = k
		if k == len(s.src) {
			return st, fmt.Errorf("line %d: \"export\" without a variable", s.line(s.pos))
		}
	}
	// The key runs to the first '=', ':' or line break; blanks may stand
	// around it, but not inside it. Without any of the three, the rest
	// of the file is the value of an empty key, as compose-go reads it.
	keyEnd, valueFrom := st.KeyStart, st.KeyStart
	for i, r := range s.src[st.KeyStart:] {
		at := st.KeyStart + i
		if r == '=' || r == ':' || r == '\n' {
			keyEnd, valueFrom, st.Bare = at, at+1, r == '\n'
			break
		}
		if blank(r) || r == '_' || r == '.' || r == '-' || r == '[' || r == ']' || unicode.IsLetter(r) || unicode.IsNumber(r) {
			continue
		}
		return st, fmt.Errorf("line %d: unexpected character %q in variable name", s.line(at), r)
	}
	st.Key = strings.TrimRightFunc(s.src[st.KeyStart:keyEnd], unicode.IsSpace)
	if strings.Contains(st.Key, " ") {
		return st, fmt.Errorf("line %d: key cannot contain a space", s.line(st.KeyStart))
	}
	value := strings.TrimLeftFunc(s.src[valueFrom:], blank)
	st.ValueStart = len(s.src) - len(value)
	st.ValueEnd = st.ValueStart
	s.pos = st.ValueStart
	if st.Bare {
		return st, nil
	}
	if value != "" && (value[0] == '"' || value[0] == '\'') {
		st.Quote = value[0]
		end := closingQuote(value)
		if end < 0 {
			return st, fmt.Errorf("line %d: unterminated quoted value", s.line(st.ValueStart))
		}
		st.ValueStart++
		st.ValueEnd = st.ValueStart + end - 1
		s.pos = st.ValueEnd + 1 // what follows the quote is read as a new statement
		return st, nil
	}
	line, _, more := strings.Cut(value, "\n")
	v, _, _ := strings.Cut(line, " #")
	st.ValueEnd = st.ValueStart + len(strings.TrimRightFunc(v, unicode.IsSpace))
	s.pos = st.ValueStart + len(line)
	if more {
		s.pos++
	}
	return st, nil
}

// closingQuote is the index in v, which starts with a quote, of the quote
// that closes it: the next one of the same kind not escaped by a
// backslash. It is -1 when there is none.
func closingQuote(v string) int {
	quote := v[0]
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++ // the next byte is escaped, whatever it is
		case quote:
			return i
		}
	}
	return -1
}
