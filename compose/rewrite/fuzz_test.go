package rewrite

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/compose/internal/envscan"
)

// composeLike builds a compose file with one published port in one of the syntaxes, and
// returns it with the span of the host port. label and comment are arbitrary text the
// fuzzer varies around the scalar (they may make the file invalid: Splice must refuse).
func composeLike(style uint8, port uint16, label, comment string, flags uint8) (string, int, int) {
	eol := "\n"
	if flags&1 != 0 {
		eol = "\r\n"
	}
	var b strings.Builder
	if flags&2 != 0 {
		b.WriteString("\uFEFF")
	}
	if flags&4 != 0 {
		b.WriteString("x-a: 1" + eol + "---" + eol)
	}
	b.WriteString("services:" + eol + "  web:" + eol)
	b.WriteString("    labels: {note: " + label + "}" + eol)
	b.WriteString("    ports:" + eol)
	p := fmt.Sprint(port)
	var line, before string
	switch style % 7 {
	case 0:
		before, line = `      - "`, p+`:80"`
	case 1:
		before, line = `      - '`, p+`:80'`
	case 2:
		before, line = `      - `, p+`:80`
	case 3:
		before, line = `      - "127.0.0.1:`, p+`:80/udp"`
	case 4:
		before, line = `      - target: 80`+eol+`        published: `, p
	case 5:
		before, line = `      - target: 80`+eol+`        published: "`, p+`"`
	case 6:
		before, line = `      - "[::1]:`, p+`-`+p+`:80"`
	}
	b.WriteString(before)
	off := b.Len()
	b.WriteString(line)
	end := off + len(p)
	if style%7 == 6 {
		end = off + 2*len(p) + 1
	}
	if comment != "" {
		b.WriteString(" #" + comment)
	}
	b.WriteString(eol)
	return b.String(), off, end
}

func FuzzSplice(f *testing.F) {
	f.Add(uint8(0), uint16(8080), "8081", "hello", "main", uint8(0), int8(0))
	f.Add(uint8(3), uint16(53), "5353", `"é"`, "", uint8(3), int8(0))
	f.Add(uint8(4), uint16(5432), "5433", "[a, b]", "int", uint8(7), int8(0))
	f.Add(uint8(6), uint16(9000), "9010-9010", "x", "range", uint8(1), int8(0))
	f.Add(uint8(2), uint16(8080), "8081", "x", "", uint8(0), int8(-1))
	f.Add(uint8(1), uint16(1), "65535", "'q'", "#", uint8(2), int8(2))
	f.Fuzz(func(t *testing.T, style uint8, port uint16, newPort, label, comment string, flags uint8, shift int8) {
		src, off, end := composeLike(style, port, label, comment, flags)
		off += int(shift)
		end += int(shift)
		if off < 0 || end > len(src) || off > end {
			return
		}
		old := src[off:end]
		out, err := Splice([]byte(src), []Edit{{Offset: off, End: end, Old: old, New: newPort}})
		if err != nil {
			return
		}
		want := src[:off] + newPort + src[end:]
		if string(out) != want {
			t.Fatalf("output differs outside the span:\n%q\nwant\n%q", out, want)
		}
		if !validPort(newPort) {
			t.Fatalf("accepted New %q", newPort)
		}
		if _, err := parseYAMLDocs(out); err != nil {
			t.Fatalf("accepted output does not parse: %v", err)
		}
	})
}

// FuzzSpliceArbitrary feeds arbitrary bytes and spans: Splice must never panic, and when
// it accepts, the output is the byte splice and parses.
func FuzzSpliceArbitrary(f *testing.F) {
	f.Add("a: 8080\n", 3, 7, "8081")
	f.Add("- [\"1:2\", 3:4] # 5\n", 3, 4, "9")
	f.Add("a: &x 80\nb: *x\n", 6, 8, "81")
	f.Fuzz(func(t *testing.T, src string, off, end int, newPort string) {
		if off < 0 || end < off || end > len(src) {
			_, err := Splice([]byte(src), []Edit{{Offset: off, End: end, Old: "1", New: newPort}})
			if err == nil {
				t.Fatal("accepted a span outside the file")
			}
			return
		}
		out, err := Splice([]byte(src), []Edit{{Offset: off, End: end, Old: src[off:end], New: newPort}})
		if err != nil {
			return
		}
		if string(out) != src[:off]+newPort+src[end:] {
			t.Fatalf("output differs outside the span: %q", out)
		}
		if _, err := parseYAMLDocs(out); err != nil {
			t.Fatalf("accepted output does not parse: %v", err)
		}
	})
}

func FuzzSetEnv(f *testing.F) {
	f.Add("WEB_PORT=8080\n", "WEB_PORT", "8081")
	f.Add("export WEB_PORT='8080' # c\r\nX=${WEB_PORT}\n", "WEB_PORT", "9090")
	f.Add("\uFEFFA: 1\nB=\"x\ny\"\n", "B", "2")
	f.Add("A=1", "WEB_PORT", "1-2")
	f.Add("# c\nA=\"q\\\"\" #\nA=2 #x\n", "A", "")
	f.Add("A=$B\nB=3\n", "B", "4")
	f.Fuzz(func(t *testing.T, src, key, value string) {
		out, err := SetEnv([]byte(src), key, value)
		if err != nil {
			return
		}
		if !envKeyPattern().MatchString(key) {
			t.Fatalf("accepted key %q", key)
		}
		if !isOneSplice(src, string(out), value) {
			t.Fatalf("the edit is not one value replacement or an appended line:\n%q\n%q", src, out)
		}
		defined := map[string]bool{key: true}
		for _, s := range []string{src, string(out)} {
			stmts, err := envscan.Scan([]byte(s))
			if err != nil {
				t.Fatalf("scanner refuses what the parser accepted: %v", err)
			}
			for _, st := range stmts {
				defined[st.Key] = true
			}
		}
		before, err := parseEnv([]byte(src), quietLookup(defined, "", ""))
		if err != nil {
			t.Fatalf("accepted an input that does not parse: %v", err)
		}
		after, err := parseEnv(out, quietLookup(defined, "", ""))
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		if after[key] != value {
			t.Fatalf("%s reads %q, want %q", key, after[key], value)
		}
		for k, v := range before {
			if k == key || after[k] == v {
				continue
			}
			// Only a key that interpolates key may change.
			if !strings.Contains(src, "$") || !strings.Contains(src, key) {
				t.Fatalf("%s changed from %q to %q", k, v, after[k])
			}
		}
		for k := range after {
			if _, ok := before[k]; !ok && k != key {
				t.Fatalf("new key %s", k)
			}
		}
	})
}

// isOneSplice reports whether out is src with one span replaced by value, or src with
// one "key=value" line appended (after a line break).
func isOneSplice(src, out, value string) bool {
	if strings.HasPrefix(out, src) {
		return true
	}
	for i := 0; i <= len(src) && i <= len(out); i++ {
		if src[:i] != out[:i] {
			break
		}
		rest := len(out) - i - len(value)
		if rest < 0 || rest > len(src)-i {
			continue
		}
		if out[i:i+len(value)] == value && out[len(out)-rest:] == src[len(src)-rest:] {
			return true
		}
	}
	return false
}

// TestFuzzSeedsAccepted makes sure the seeds exercise the accepting path, not only
// refusals.
func TestFuzzSeedsAccepted(t *testing.T) {
	for style := range uint8(7) {
		for flags := range uint8(8) {
			src, off, end := composeLike(style, 8080, "hello", "c", flags)
			newPort := "8081"
			if style == 6 {
				newPort = "9000-9000"
			}
			out, err := Splice([]byte(src), []Edit{{Offset: off, End: end, Old: src[off:end], New: newPort}})
			if err != nil {
				t.Fatalf("style %d flags %d: %v\n%s", style, flags, err, src)
			}
			if !bytes.Contains(out, []byte(newPort)) {
				t.Fatalf("style %d: %q", style, out)
			}
		}
	}
}

// FuzzSpliceTwo splices two ports in two documents of one file: when each
// edit is accepted alone, the pair must be accepted too and give both
// byte splices (a lengthening first edit once made the second one look
// moved).
func FuzzSpliceTwo(f *testing.F) {
	f.Add(uint8(0), uint16(8080), "8081-8083", uint8(4), uint16(9000), "9001-9002")
	f.Add(uint8(3), uint16(53), "5", uint8(1), uint16(7), "70000")
	f.Fuzz(func(t *testing.T, style1 uint8, port1 uint16, new1 string, style2 uint8, port2 uint16, new2 string) {
		src1, off1, end1 := composeLike(style1, port1, "a", "one", 0)
		src2, off2, end2 := composeLike(style2, port2, "b", "two", 0)
		sep := "---\n"
		if !strings.HasSuffix(src1, "\n") {
			sep = "\n---\n"
		}
		src := src1 + sep + src2
		base := len(src1) + len(sep)
		e1 := Edit{Offset: off1, End: end1, Old: src[off1:end1], New: new1}
		e2 := Edit{Offset: base + off2, End: base + end2, Old: src[base+off2 : base+end2], New: new2}
		_, err1 := Splice([]byte(src), []Edit{e1})
		_, err2 := Splice([]byte(src), []Edit{e2})
		out, err := Splice([]byte(src), []Edit{e1, e2})
		if err1 == nil && err2 == nil && err != nil {
			t.Fatalf("each edit alone is accepted, both together refused: %v\n%q", err, src)
		}
		if err == nil {
			want := src[:e1.Offset] + new1 + src[e1.End:e2.Offset] + new2 + src[e2.End:]
			if string(out) != want {
				t.Fatalf("output differs outside the spans:\n%q\nwant\n%q", out, want)
			}
		}
	})
}
