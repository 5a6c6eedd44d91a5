package envscan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// quiet is every variable set and empty: the parser then warns of none.
func quiet(string) (string, bool) { return "", true }

// checkAgainstParser holds the scanner to compose-go's parser on src: a
// file the parser reads, the scanner cuts, and every key's last
// statement spans, byte for byte, the value the parser reads (for values
// without escapes or interpolation, which only the parser expands).
func checkAgainstParser(t *testing.T, src string) {
	t.Helper()
	want, err := dotenv.ParseWithLookup(strings.NewReader(src), quiet)
	if err != nil {
		return
	}
	stmts, err := Scan([]byte(src))
	if err != nil {
		t.Fatalf("%q: the parser reads it, the scanner fails: %v", src, err)
	}
	last := map[string]Statement{}
	for _, st := range stmts {
		last[st.Key] = st
	}
	for k, v := range want {
		st, ok := last[k]
		if !ok {
			t.Fatalf("%q: the scanner misses %q", src, k)
		}
		if st.Bare {
			continue // the value is the environment's
		}
		if l, _ := Last(stmts, k); l != st {
			t.Fatalf("%q: Last(%q) is %+v, not the last assignment %+v", src, k, l, st)
		}
		raw := src[st.ValueStart:st.ValueEnd]
		if strings.ContainsAny(raw, `\$`) {
			continue
		}
		if raw != v {
			t.Fatalf("%q: %q spans %q, the parser reads %q", src, k, raw, v)
		}
	}
	for _, st := range stmts {
		if _, ok := want[st.Key]; !ok && !st.Bare {
			t.Fatalf("%q: the scanner finds %q, the parser does not", src, st.Key)
		}
	}
}

var parserCases = []string{
	"A=1\nB='two words'\nC=\"x\" # c\nexport D = 4\nE: 5\n\n# F=6\nG=7 #8\nH=9\t#10\n",
	"A=1\r\nB='2'\r\n  C=3  \r\n",
	"\uFEFFA=1\n",
	"A='it\\'s'\nB=2\n",
	"A=\"multi\nline\"\nB=2\n",
	"A=x#y\nB=\" # \"\n",
	"A=\"x\" B=2\n",
	"export\tA=1\nexport B\nC\n",
	"a.b-c[0]=1\n",
	"A=1\nA=2 # again\n",
	"NOEOL=5",
}

func TestScanMatchesParser(t *testing.T) {
	for _, src := range parserCases {
		checkAgainstParser(t, src)
	}
}

func FuzzScan(f *testing.F) {
	for _, src := range parserCases {
		f.Add(src)
	}
	f.Fuzz(checkAgainstParser)
}

// TestScanErrors holds the statement errors, each naming its line.
func TestScanErrors(t *testing.T) {
	for src, want := range map[string]string{
		"A=1\nB C=2\n":        "line 2: key cannot contain a space",
		"A=1\n\nB/C=2\n":      `line 3: unexpected character '/' in variable name`,
		"A=1\nB=\"open\n":     "line 2: unterminated quoted value",
		"A=1\nexport   ":      `line 2: "export" without a variable`,
		"A=1\nB='x\\'\nC=2\n": "line 2: unterminated quoted value",
	} {
		_, err := Scan([]byte(src))
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

// TestPositions holds the statements' offsets and Position's columns, in
// characters and without a byte order mark.
func TestPositions(t *testing.T) {
	src := []byte("\uFEFFA=1\n# c\n  export  WEB_PORT = '8080' # web\nÉTÉ=\"x\"\nBARE\n")
	stmts, err := Scan(src)
	if err != nil {
		t.Fatal(err)
	}
	type pos struct{ key, value [2]int }
	want := map[string]pos{
		"A":        {[2]int{1, 1}, [2]int{1, 3}},
		"WEB_PORT": {[2]int{3, 11}, [2]int{3, 23}},
		"ÉTÉ":      {[2]int{4, 1}, [2]int{4, 6}},
	}
	for key, w := range want {
		st, ok := Last(stmts, key)
		if !ok {
			t.Fatalf("%s not found in %+v", key, stmts)
		}
		kl, kc := Position(src, st.KeyStart)
		vl, vc := Position(src, st.ValueStart)
		if got := (pos{[2]int{kl, kc}, [2]int{vl, vc}}); got != w {
			t.Errorf("%s: key at %v, value at %v; want %v, %v", key, got.key, got.value, w.key, w.value)
		}
	}
	if _, ok := Last(stmts, "BARE"); ok {
		t.Error("a bare key counts as an assignment")
	}
	if last := stmts[len(stmts)-1]; !last.Bare || last.Key != "BARE" || !bytes.Equal(src[last.KeyStart:last.KeyStart+4], []byte("BARE")) {
		t.Errorf("last statement %+v, want the bare BARE", last)
	}
}
