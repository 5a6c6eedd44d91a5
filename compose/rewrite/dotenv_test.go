package rewrite

import (
	"bytes"
	"strings"
	"testing"
)

func TestSetEnvForms(t *testing.T) {
	cases := []struct {
		name, src, key, value, want string
	}{
		{"plain", "WEB_PORT=8080\n", "WEB_PORT", "8081", "WEB_PORT=8081\n"},
		{"export", "export WEB_PORT=8080\n", "WEB_PORT", "8081", "export WEB_PORT=8081\n"},
		{"export with tabs", "export\tWEB_PORT = 8080\n", "WEB_PORT", "8081", "export\tWEB_PORT = 8081\n"},
		{"yaml style", "WEB_PORT: 8080\n", "WEB_PORT", "8081", "WEB_PORT: 8081\n"},
		{"single quoted", "WEB_PORT='8080'\n", "WEB_PORT", "18081", "WEB_PORT='18081'\n"},
		{"double quoted", "WEB_PORT=\"8080\"\n", "WEB_PORT", "8081", "WEB_PORT=\"8081\"\n"},
		{"inline comment", "WEB_PORT=8080 # the web port\n", "WEB_PORT", "8081", "WEB_PORT=8081 # the web port\n"},
		{"quoted with comment", "WEB_PORT=\"8080\"   # web\n", "WEB_PORT", "8081", "WEB_PORT=\"8081\"   # web\n"},
		{"trailing spaces", "WEB_PORT=8080   \nX=1\n", "WEB_PORT", "8081", "WEB_PORT=8081   \nX=1\n"},
		{"empty value", "WEB_PORT=\nX=1\n", "WEB_PORT", "8081", "WEB_PORT=8081\nX=1\n"},
		{"empty quoted", "WEB_PORT=''\n", "WEB_PORT", "8081", "WEB_PORT='8081'\n"},
		{"crlf", "A=1\r\nWEB_PORT=8080\r\nB=2\r\n", "WEB_PORT", "8081", "A=1\r\nWEB_PORT=8081\r\nB=2\r\n"},
		{"crlf with comment", "WEB_PORT=8080 # c\r\n", "WEB_PORT", "8081", "WEB_PORT=8081 # c\r\n"},
		{"bom", "\uFEFFWEB_PORT=8080\n", "WEB_PORT", "8081", "\uFEFFWEB_PORT=8081\n"},
		{"no final newline", "A=1\nWEB_PORT=8080", "WEB_PORT", "8081", "A=1\nWEB_PORT=8081"},
		{"last definition wins", "WEB_PORT=8080\n# later\nexport WEB_PORT='9090' # override\n", "WEB_PORT", "9091",
			"WEB_PORT=8080\n# later\nexport WEB_PORT='9091' # override\n"},
		{"bare inherit line after is skipped", "WEB_PORT=8080\nWEB_PORT\n", "WEB_PORT", "8081", "WEB_PORT=8081\nWEB_PORT\n"},
		{"was a variable", "BASE=8000\nWEB_PORT=${BASE}\n", "WEB_PORT", "8081", "BASE=8000\nWEB_PORT=8081\n"},
		{"interpolated by another key", "WEB_PORT=8080\nURL=http://localhost:${WEB_PORT}\n", "WEB_PORT", "8081",
			"WEB_PORT=8081\nURL=http://localhost:${WEB_PORT}\n"},
		{"comment line mentions key", "# WEB_PORT=1\nWEB_PORT=8080\n", "WEB_PORT", "8081", "# WEB_PORT=1\nWEB_PORT=8081\n"},
		{"multi-line value elsewhere", "CERT=\"a\nb\"\nWEB_PORT=8080\n", "WEB_PORT", "8081", "CERT=\"a\nb\"\nWEB_PORT=8081\n"},
		{"range", "PORTS=9000-9005\n", "PORTS", "9010-9015", "PORTS=9010-9015\n"},
		{"append", "A=1\n", "WEB_PORT", "8081", "A=1\nWEB_PORT=8081\n"},
		{"append to empty", "", "WEB_PORT", "8081", "WEB_PORT=8081\n"},
		{"append without final newline", "A=1", "WEB_PORT", "8081", "A=1\nWEB_PORT=8081\n"},
		{"append after comment without newline", "A=1\n# end", "WEB_PORT", "8081", "A=1\n# end\nWEB_PORT=8081\n"},
		{"append crlf", "A=1\r\nB=2", "WEB_PORT", "8081", "A=1\r\nB=2\r\nWEB_PORT=8081\r\n"},
		{"append bom", "\uFEFFA=1\n", "WEB_PORT", "8081", "\uFEFFA=1\nWEB_PORT=8081\n"},
		{"append when only inherited", "WEB_PORT\n", "WEB_PORT", "8081", "WEB_PORT\nWEB_PORT=8081\n"},
		{"append value needing quotes", "A=1\n", "GREETING", "hello world", "A=1\nGREETING='hello world'\n"},
		{"other key with same prefix", "WEB_PORT_TLS=8443\nWEB_PORT=8080\n", "WEB_PORT", "8081", "WEB_PORT_TLS=8443\nWEB_PORT=8081\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SetEnv([]byte(c.src), c.key, c.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
			after, err := parseEnv(got, quietLookup(map[string]bool{c.key: true}, "", ""))
			if err != nil || after[c.key] != c.value {
				t.Errorf("re-parsed %s=%q (%v)", c.key, after[c.key], err)
			}
		})
	}
}

func TestSetEnvRefusals(t *testing.T) {
	cases := []struct {
		name, src, key, value, want string
	}{
		{"multi-line double quoted", "WEB_PORT=\"80\n80\"\n", "WEB_PORT", "8081", "multi-line"},
		{"multi-line single quoted", "WEB_PORT='80\n80'\n", "WEB_PORT", "8081", "multi-line"},
		{"does not parse", "WEB PORT=1\n", "WEB_PORT", "8081", "does not parse"},
		{"unterminated quote", "WEB_PORT=\"8080\n", "WEB_PORT", "8081", "does not parse"},
		{"bad key", "A=1\n", "WEB-PORT", "8081", "not a variable name"},
		{"empty key", "A=1\n", "", "8081", "not a variable name"},
		{"newline in value", "A=1\n", "A", "1\nB=2", "line break"},
		{"dollar in unquoted", "WEB_PORT=8080\n", "WEB_PORT", "$X", "would read it"},
		{"dollar in double quotes", "WEB_PORT=\"8080\"\n", "WEB_PORT", "${X}", "would read it"},
		{"comment in unquoted", "WEB_PORT=8080\n", "WEB_PORT", "1 #2", "would read it"},
		{"quote in single quotes", "WEB_PORT='8080'\n", "WEB_PORT", "it's", "no longer parses"},
		{"empty value before comment", "WEB_PORT=8080 # c\n", "WEB_PORT", "", "would read it"},
		{"value would eat the next statement", "WEB_PORT=\"8080\"\nA=1\n", "WEB_PORT", `x"`, ""},
		{"append quote and backslash", "A=1\n", "B", `it's \ here`, "quote and a backslash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SetEnv([]byte(c.src), c.key, c.value)
			if err == nil {
				t.Fatalf("accepted, gave %q", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestEnvValuePos(t *testing.T) {
	cases := []struct {
		name, src, key string
		line, col      int
		ok             bool
	}{
		{"plain", "A=1\nWEB_PORT=8080\n", "WEB_PORT", 2, 10, true},
		{"export quoted", "# c\n\nexport WEB_PORT=\"8080\"\n", "WEB_PORT", 3, 18, true},
		{"last wins", "WEB_PORT=1\nWEB_PORT: 2\n", "WEB_PORT", 2, 11, true},
		{"bom not counted", "\uFEFFWEB_PORT=8080\n", "WEB_PORT", 1, 10, true},
		{"characters not bytes", "A=\"é\n\"\nWEB_PORT=8080\n", "WEB_PORT", 3, 10, true},
		{"crlf", "A=1\r\nWEB_PORT=8080\r\n", "WEB_PORT", 2, 10, true},
		{"absent", "A=1\n", "WEB_PORT", 0, 0, false},
		{"only inherited", "WEB_PORT\n", "WEB_PORT", 0, 0, false},
		{"does not parse", "WEB_PORT=\"1\n", "WEB_PORT", 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, col, ok := EnvValuePos([]byte(c.src), c.key)
			if line != c.line || col != c.col || ok != c.ok {
				t.Errorf("got %d:%d %v, want %d:%d %v", line, col, ok, c.line, c.col, c.ok)
			}
		})
	}
}

func TestSetEnvKeepsOtherBytes(t *testing.T) {
	src := []byte("# ports\nexport WEB_PORT='8080'   # web\r\nDB_PORT=5432\n\n")
	got, err := SetEnv(src, "DB_PORT", "5433")
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Replace(src, []byte("5432"), []byte("5433"), 1); !bytes.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
