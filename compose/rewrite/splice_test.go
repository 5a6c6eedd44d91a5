package rewrite

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// span finds the unique occurrence of ctx in src and returns the edit of old inside it.
func span(t testing.TB, src []byte, ctx, old, new string) Edit {
	t.Helper()
	i := bytes.Index(src, []byte(ctx))
	if i < 0 || bytes.Count(src, []byte(ctx)) != 1 {
		t.Fatalf("context %q is not unique in the source", ctx)
	}
	j := strings.Index(ctx, old)
	if j < 0 {
		t.Fatalf("%q not in %q", old, ctx)
	}
	return Edit{Offset: i + j, End: i + j + len(old), Old: old, New: new}
}

func goldenEdits(t *testing.T, src []byte) []Edit {
	return []Edit{
		span(t, src, `"8080:80"`, "8080", "18080"),
		span(t, src, `'8081:81'`, "8081", "8091"),
		span(t, src, `- 8082:82`, "8082", "8092"),
		span(t, src, `127.0.0.1:8443:443`, "8443", "8453"),
		span(t, src, `"[::1]:8444:443"`, "8444", "8454"),
		span(t, src, `"9000-9005:80"`, "9000-9005", "9010-9015"),
		span(t, src, `"3000:3000"`, "3000", "3002"),
		span(t, src, `3001:3001]`, "3001", "3003"),
		span(t, src, `published: 5432 `, "5432", "5434"),
		span(t, src, `published: "15433"`, "15433", "15434"),
	}
}

func TestSpliceGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "splice", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		name string
		conv func([]byte) []byte
	}{
		{"lf", func(b []byte) []byte { return b }},
		{"crlf", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }},
		{"bom", func(b []byte) []byte { return append([]byte("\uFEFF"), b...) }},
		{"bom+crlf+no final newline", func(b []byte) []byte {
			return append([]byte("\uFEFF"), bytes.TrimSuffix(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), []byte("\r\n"))...)
		}},
	}
	goldenPath := filepath.Join("testdata", "splice", "compose.golden.yaml")
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			in := v.conv(src)
			got, err := Splice(in, goldenEdits(t, in))
			if err != nil {
				t.Fatal(err)
			}
			if *update && v.name == "lf" {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatal(err)
			}
			if want := v.conv(golden); !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s\n%s", got, want, Diff("compose.yaml", want, got))
			}
		})
	}
}

func TestSpliceForms(t *testing.T) {
	cases := []struct {
		name          string
		src           string
		ctx, old, new string
		want          string
	}{
		{"double quoted", "ports:\n  - \"8080:80\"\n", `"8080:80"`, "8080", "8081", "ports:\n  - \"8081:80\"\n"},
		{"single quoted", "ports:\n  - '8080:80'\n", `'8080:80'`, "8080", "8081", "ports:\n  - '8081:80'\n"},
		{"plain", "ports:\n  - 8080:80\n", `8080:80`, "8080", "8081", "ports:\n  - 8081:80\n"},
		{"plain int short", "ports:\n  - 8080\n", `8080`, "8080", "18080", "ports:\n  - 18080\n"},
		{"host ip", "ports:\n  - 127.0.0.1:8080:80\n", `:8080:`, "8080", "8081", "ports:\n  - 127.0.0.1:8081:80\n"},
		{"ipv6 host ip", "ports:\n  - \"[::1]:8080:80\"\n", `:8080:`, "8080", "8081", "ports:\n  - \"[::1]:8081:80\"\n"},
		{"protocol", "ports:\n  - \"53:53/udp\"\n", `"53:`, "53", "5353", "ports:\n  - \"5353:53/udp\"\n"},
		{"flow list", "ports: [\"3000:3000\", 3001:3001]\n", `3001:3001`, "3001", "3011", "ports: [\"3000:3000\", 3011:3001]\n"},
		{"long int", "ports:\n  - target: 80\n    published: 8080\n", `8080`, "8080", "8081", "ports:\n  - target: 80\n    published: 8081\n"},
		{"long string", "ports:\n  - target: 80\n    published: \"8080\"\n", `8080`, "8080", "8081", "ports:\n  - target: 80\n    published: \"8081\"\n"},
		{"long flow mapping", "ports: [{target: 80, published: 8080}]\n", `8080`, "8080", "8081", "ports: [{target: 80, published: 8081}]\n"},
		{"host range", "ports:\n  - \"9000-9005:80\"\n", `9000-9005`, "9000-9005", "9010-9015", "ports:\n  - \"9010-9015:80\"\n"},
		{"inline comment", "ports:\n  - \"8080:80\" # 8080 is web\n", `"8080:80"`, "8080", "8081", "ports:\n  - \"8081:80\" # 8080 is web\n"},
		{"utf-8 before scalar", "labels: {a: \"é\"}\np: {né: \"8080:80\"}\n", `"8080:80"`, "8080", "8081", "labels: {a: \"é\"}\np: {né: \"8081:80\"}\n"},
		{"anchor", "ports:\n  - &p \"8080:80\"\n", `"8080:80"`, "8080", "8081", "ports:\n  - &p \"8081:80\"\n"},
		{"tag", "ports:\n  - !!str 8080:80\n", `8080:80`, "8080", "8081", "ports:\n  - !!str 8081:80\n"},
		{"variable default", "ports:\n  - \"${WEB_PORT:-8080}:80\"\n", `8080}`, "8080", "8081", "ports:\n  - \"${WEB_PORT:-8081}:80\"\n"},
		{"container port equal to host", "ports:\n  - \"8080:8080\"\n", `"8080:`, "8080", "8081", "ports:\n  - \"8081:8080\"\n"},
		{"lone CR line breaks", "a: 1\rports:\r  - \"8080:80\"\r", `"8080:80"`, "8080", "8081", "a: 1\rports:\r  - \"8081:80\"\r"},
		{"multi document", "services: {}\n---\nservices:\n  web:\n    ports:\n      - \"8080:80\" # second doc\n...\n", `"8080:80"`, "8080", "8081", "services: {}\n---\nservices:\n  web:\n    ports:\n      - \"8081:80\" # second doc\n...\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(c.src)
			got, err := Splice(src, []Edit{span(t, src, c.ctx, c.old, c.new)})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestSpliceMultipleEditsInOneScalarAndFile(t *testing.T) {
	src := []byte("a:\n  - \"8080:8080\"\nb:\n  - 8080:80\n")
	i := bytes.Index(src, []byte("8080:8080")) + 5
	j := bytes.Index(src, []byte("8080:80\n"))
	got, err := Splice(src, []Edit{
		{Offset: j, End: j + 4, Old: "8080", New: "8082"},
		{Offset: i - 5, End: i - 1, Old: "8080", New: "18080"},
		{Offset: i, End: i + 4, Old: "8080", New: "8081"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a:\n  - \"18080:8081\"\nb:\n  - 8082:80\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSpliceNoEditsCopies(t *testing.T) {
	src := []byte("a: 1\n")
	got, err := Splice(src, nil)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("got %q, %v", got, err)
	}
	got[0] = 'b'
	if src[0] != 'a' {
		t.Fatal("Splice returned the caller's slice")
	}
}

func TestSpliceRefusals(t *testing.T) {
	src := []byte("services:\n  web:\n    ports:\n      - \"8080:80\" # 9090\n      - \"18080:80\"\n    command: |\n      serve 7070\n")
	at := func(s string) int { return bytes.Index(src, []byte(s)) }
	p := at("8080:80")
	cases := []struct {
		name  string
		src   []byte
		edits []Edit
		want  string
	}{
		{"wrong old", src, []Edit{{p, p + 4, "8081", "8082"}}, "expected \"8081\""},
		{"span outside file", src, []Edit{{len(src) - 2, len(src) + 2, "7070", "7071"}}, "outside the file"},
		{"negative offset", src, []Edit{{-1, 3, "8080", "8081"}}, "outside the file"},
		{"overlapping", src, []Edit{{p, p + 4, "8080", "8081"}, {p + 2, p + 4, "80", "81"}}, "overlap"},
		{"touching", src, []Edit{{p, p + 2, "80", "81"}, {p + 2, p + 4, "80", "81"}}, "overlap"},
		{"cuts a number", src, []Edit{{at("18080") + 1, at("18080") + 5, "8080", "8081"}}, "part of a longer number"},
		{"new not a port", src, []Edit{{p, p + 4, "8080", "8080 # x"}}, "not a port"},
		{"new with quote", src, []Edit{{p, p + 4, "8080", "8081\""}}, "not a port"},
		{"new zero", src, []Edit{{p, p + 4, "8080", "0"}}, "not a port"},
		{"new too big", src, []Edit{{p, p + 4, "8080", "65536"}}, "not a port"},
		{"new leading zero", src, []Edit{{p, p + 4, "8080", "08081"}}, "not a port"},
		{"new reversed range", src, []Edit{{p, p + 4, "8080", "9005-9000"}}, "not a port"},
		{"new variable", src, []Edit{{p, p + 4, "8080", "${X}"}}, "not a port"},
		{"old not a port", src, []Edit{{at("ports"), at("ports") + 5, "ports", "8080"}}, "not a port"},
		{"in a comment", src, []Edit{{at("9090"), at("9090") + 4, "9090", "9091"}}, "comment"},
		{"in a block scalar", src, []Edit{{at("7070"), at("7070") + 4, "7070", "7071"}}, "block scalar"},
		{"original does not parse", []byte("a: [8080\n"), []Edit{{4, 8, "8080", "8081"}}, "does not parse before editing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Splice(c.src, c.edits)
			if err == nil {
				t.Fatalf("accepted, gave %q", got)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestSpliceErrorNamesLineAndColumn(t *testing.T) {
	src := []byte("a: 1\nb: \"é 8080\"\n")
	i := bytes.Index(src, []byte("8080"))
	_, err := Splice(src, []Edit{{i, i + 4, "8081", "8082"}})
	if err == nil || !strings.Contains(err.Error(), "line 2, column 7") {
		t.Fatalf("error %v does not name line 2, column 7", err)
	}
}

// TestSpliceTwoEditsChangingLength: an edit that lengthens a port moves
// every later node; a second edit after it must still be accepted (the
// shift was once compared in mixed coordinates and refused it).
func TestSpliceTwoEditsChangingLength(t *testing.T) {
	src := "services:\n  worker:\n    ports:\n      - \"8080:80\"   # one\n  web:\n    ports:\n      - target: 80\n        published: \"9000\"\n"
	i, j := strings.Index(src, "8080"), strings.Index(src, "9000")
	out, err := Splice([]byte(src), []Edit{{Offset: i, End: i + 4, Old: "8080", New: "8081-8083"}, {Offset: j, End: j + 4, Old: "9000", New: "9001-9002"}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(src, "8080", "8081-8083", 1), "9000", "9001-9002", 1)
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
