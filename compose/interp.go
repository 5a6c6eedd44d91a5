package compose

import (
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
)

// segment is one piece of a value before and after interpolation: either
// literal text, copied as is, or one variable expression.
type segment struct {
	rawStart, rawEnd int // span in the raw (pre-interpolation) text
	outStart, outEnd int // span in the interpolated text
	literal          bool
	escape           bool   // "$$", which yields "$"
	name             string // variable name, for a variable expression
	op               string // "", ":-", "-", ":?", "?", ":+", "+"
	def              string // raw text after op, without the closing brace
}

// varName matches the start of a braced expression's content.
var varName = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*`)

// trackInterpolate interpolates raw as compose-go does, but one expression
// at a time, so each byte of the output can be traced to the literal text or
// the single variable expression it came from. Expressions are cut where
// compose-go cuts them (exprLen).
func trackInterpolate(raw string, lookup template.Mapping) (string, []segment, error) {
	var out strings.Builder
	var segs []segment
	addLiteral := func(from, to int) {
		if from == to {
			return
		}
		o := out.Len()
		out.WriteString(raw[from:to])
		segs = append(segs, segment{rawStart: from, rawEnd: to, outStart: o, outEnd: out.Len(), literal: true})
	}
	pos := 0
	for pos < len(raw) {
		loc := template.DefaultPattern.FindStringIndex(raw[pos:])
		if loc == nil {
			break
		}
		start := pos + loc[0]
		expr := raw[start : pos+loc[1]]
		expr = expr[:exprLen(expr)]
		addLiteral(pos, start)
		val, err := template.SubstituteWithOptions(expr, lookup, template.WithoutLogging)
		if err != nil {
			return "", nil, err
		}
		seg := segment{rawStart: start, rawEnd: start + len(expr), outStart: out.Len()}
		out.WriteString(val)
		seg.outEnd = out.Len()
		switch {
		case expr == "$$":
			seg.escape = true
		case strings.HasPrefix(expr, "${"):
			body := strings.TrimSuffix(expr[2:], "}")
			seg.name = varName.FindString(body)
			rest := body[len(seg.name):]
			for _, op := range []string{":-", ":?", ":+", "-", "?", "+"} {
				if strings.HasPrefix(rest, op) {
					seg.op, seg.def = op, rest[len(op):]
					break
				}
			}
		default:
			seg.name = expr[1:]
		}
		segs = append(segs, seg)
		pos = start + len(expr)
	}
	addLiteral(pos, len(raw))
	return out.String(), segs, nil
}

// exprLen is the length of the expression that starts m, one match of
// template.DefaultPattern, where compose-go's template package ends it.
// The pattern alone does not say: a braced default may hold braces and
// nested expressions, so a match can run past the expression into text
// that follows it ("${A:-1}:${B}" is one match). compose-go hands the
// inside of the braced expression it cuts (between "${" and its closing
// brace) to its substitution function; a substitution function that only
// notes that text and applies nothing gives the end, with compose-go's own
// rules. A "$$" or "$NAME" match is the expression itself, and so is a
// match compose-go refuses as a template (it fails the same way whole).
func exprLen(m string) int {
	if !strings.HasPrefix(m, "${") {
		return len(m)
	}
	inside, seen := "", false
	note := func(s string, _ template.Mapping) (string, bool, error) {
		if !seen {
			inside, seen = s, true
		}
		return "", false, nil
	}
	unset := func(string) (string, bool) { return "", false }
	_, _ = template.SubstituteWithOptions(m, unset, template.WithSubstitutionFunction(note), template.WithoutLogging)
	if !seen {
		return len(m)
	}
	return len("${") + len(inside) + len("}")
}

// publishedSpan returns the span of the published (host port) field in an
// interpolated short-syntax port, following go-connections' splitParts:
// the fields are split on ':' and the host port is the second to last.
func publishedSpan(out string) (int, int, bool) {
	parts := strings.Split(out, ":")
	if len(parts) < 2 {
		return 0, 0, false
	}
	start := 0
	for _, p := range parts[:len(parts)-2] {
		start += len(p) + 1
	}
	return start, start + len(parts[len(parts)-2]), true
}
