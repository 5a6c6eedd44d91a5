package compose

import "testing"

// TestExprLen holds where an expression ends inside one match of
// compose-go's pattern, which can run past it: at the brace that closes
// the "${", counting the braces of a default, and nowhere else for "$$",
// "$NAME" or a template compose-go refuses.
func TestExprLen(t *testing.T) {
	for _, c := range []struct {
		match string
		want  int
	}{
		{"$$", 2},
		{"$WEB_PORT", 9},
		{"${P}", 4},
		{"${A:-1}:${B}", 7},
		{"${UNSET:-${P}}:80}", 14},
		{"${A:-{x}}", 9},
		{"${P:-}}", 6},
		{"${P:?need it}/${Q}", 13},
		{"${", 2},
	} {
		if got := exprLen(c.match); got != c.want {
			t.Errorf("exprLen(%q) = %d (%q), want %d (%q)", c.match, got, c.match[:got], c.want, c.match[:c.want])
		}
	}
}
