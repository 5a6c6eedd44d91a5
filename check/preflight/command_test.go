package preflight

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCommandText: a holder's command line is one line of the report,
// whatever it holds: a multi-line `python3 -c` program, escapes, a very
// long argument list.
func TestCommandText(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"node", "server.js"}, "node server.js"},
		{[]string{"python3", "-c", "import socket\ns = socket.socket()\n\ts.bind(('', 8080))"}, `python3 -c import socket\ns = socket.socket()\n\ts.bind(('', 8080))`},
		{[]string{"sh", "-c", "printf '\x1b[31m'"}, `sh -c printf '\x1b[31m'`},
	}
	for _, c := range cases {
		if got := commandText(c.args); got != c.want {
			t.Errorf("commandText(%q) = %q, want %q", c.args, got, c.want)
		}
	}
	long := commandText([]string{"java", strings.Repeat("-Dx=y ", 100)})
	if n := utf8.RuneCountInString(long); n != commandWidth+1 || !strings.HasSuffix(long, "…") {
		t.Errorf("a long command is cut to %d characters and an ellipsis: got %d, %q", commandWidth, n, long)
	}
	if strings.ContainsAny(long, "\n\r") {
		t.Errorf("not one line: %q", long)
	}
}
