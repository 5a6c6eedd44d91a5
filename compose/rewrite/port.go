package rewrite

import (
	"strconv"
	"strings"
)

// validPort reports whether s is a host port text that --fix may write: a port number
// 1-65535 or a range "a-b" with a <= b, in plain decimal digits without leading zeros.
// Anything else (signs, spaces, "0", "${VAR}", quotes) could change how YAML or the env
// parser reads the surrounding text, so it is refused rather than escaped.
func validPort(s string) bool {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		return validPortNumber(s)
	}
	if !validPortNumber(lo) || !validPortNumber(hi) {
		return false
	}
	a, _ := strconv.Atoi(lo)
	b, _ := strconv.Atoi(hi)
	return a <= b
}

func validPortNumber(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, _ := strconv.Atoi(s)
	return n >= 1 && n <= 65535
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
