package compose

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render is a stable text form of a project: every binding with all its
// sources, paths relative to dir. It is what the golden files hold.
func render(p *Project, dir string) string {
	rel := func(f string) string {
		if r, err := filepath.Rel(dir, f); err == nil {
			return filepath.ToSlash(r)
		}
		return f
	}
	var b strings.Builder
	fmt.Fprintf(&b, "project %s\n", p.Name)
	var files []string
	for _, f := range p.ComposeFiles {
		files = append(files, rel(f))
	}
	fmt.Fprintf(&b, "files %s\n", strings.Join(files, " "))
	var envs []string
	for _, f := range p.EnvFiles {
		envs = append(envs, rel(f))
	}
	fmt.Fprintf(&b, "env-files %s\n", strings.Join(envs, " "))
	fmt.Fprintf(&b, "services %d\n", p.Services)
	for _, bd := range p.Bindings {
		ip := bd.HostIP
		if ip == "" {
			ip = "*"
		}
		fmt.Fprintf(&b, "binding %s %s:%s->%d/%s replicas=%d\n", bd.Service, ip, bd.Published, bd.Target, bd.Protocol, bd.Replicas)
		if len(bd.Sources) == 0 {
			fmt.Fprintf(&b, "  no source\n")
		}
		for _, s := range bd.Sources {
			fmt.Fprintf(&b, "  %s:%d:%d %q", rel(s.File), s.Line, s.Column, s.Text)
			if s.Literal {
				fmt.Fprintf(&b, " literal[%d:%d]", s.Offset, s.End)
			}
			if v := s.Variable; v != nil {
				fmt.Fprintf(&b, " var %s=%q default=%q origin=%s", v.Name, v.Value, v.Default, v.Origin)
				if v.File != "" {
					fmt.Fprintf(&b, " at %s:%d:%d", rel(v.File), v.Line, v.Column)
				}
			}
			if s.Unsafe != "" {
				fmt.Fprintf(&b, " unsafe: %s", s.Unsafe)
			}
			b.WriteString("\n")
		}
	}
	for _, ns := range p.HostNetwork {
		fmt.Fprintf(&b, "host-network %s %s\n", ns.Service, renderPorts(ns.Ports))
	}
	for _, ns := range p.SharedNetwork {
		fmt.Fprintf(&b, "shared-network %s %s %s\n", ns.Service, ns.NetworkMode, renderPorts(ns.Ports))
	}
	return b.String()
}

func renderPorts(ps []HostPort) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.From+":"+p.Port+"/"+p.Protocol)
	}
	return strings.Join(out, " ")
}

// caseOptions reads a golden case's "options" file: one flag per line,
// "-f FILE", "--env-file FILE", "--profile NAME", "-p NAME",
// "--project-directory DIR" or "env KEY=VALUE" (a shell variable).
func caseOptions(t *testing.T, dir string) Options {
	t.Helper()
	opts := Options{WorkingDir: dir, Environ: []string{"PATH=/usr/bin"}}
	f, err := os.Open(filepath.Join(dir, "options"))
	if errors.Is(err, os.ErrNotExist) {
		return opts
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		flag, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch flag {
		case "":
		case "-f":
			opts.Files = append(opts.Files, val)
		case "--env-file":
			opts.EnvFiles = append(opts.EnvFiles, val)
		case "--profile":
			opts.Profiles = append(opts.Profiles, val)
		case "-p":
			opts.ProjectName = val
		case "--project-directory":
			opts.ProjectDir = val
		case "env":
			opts.Environ = append(opts.Environ, val)
		default:
			t.Fatalf("%s/options: unknown line %q", dir, sc.Text())
		}
	}
	return opts
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Load(context.Background(), caseOptions(t, abs))
			var got string
			if err != nil {
				got = "error " + err.Error() + "\n"
			} else {
				got = render(p, abs)
				checkSpans(t, p)
			}
			golden := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./compose/ -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// checkSpans verifies that every literal source's byte span holds exactly
// the published text: the promise a rewrite relies on.
func checkSpans(t *testing.T, p *Project) {
	t.Helper()
	files := map[string][]byte{}
	for _, b := range p.Bindings {
		for _, s := range b.Sources {
			if !s.Literal {
				continue
			}
			src, ok := files[s.File]
			if !ok {
				var err error
				if src, err = os.ReadFile(s.File); err != nil {
					t.Fatal(err)
				}
				files[s.File] = src
			}
			if s.Offset < 0 || s.End > len(src) || s.Offset >= s.End {
				t.Errorf("%s: bad span [%d:%d]", s.File, s.Offset, s.End)
				continue
			}
			text := string(src[s.Offset:s.End])
			lo, hi, isRange := strings.Cut(text, "-")
			plo, phi, _ := strings.Cut(b.Published, "-")
			ok = text == b.Published || (isRange && plo >= lo && phi <= hi) || (isRange && len(plo) > 0 && inRange(plo, lo, hi))
			if !ok {
				t.Errorf("%s [%d:%d] = %q, want the published text %q", s.File, s.Offset, s.End, text, b.Published)
			}
			if !strings.Contains(s.Text, text) {
				t.Errorf("span text %q is not part of the scalar %q", text, s.Text)
			}
		}
	}
}

// inRange compares decimal port strings numerically.
func inRange(p, lo, hi string) bool {
	var n, l, h int
	fmt.Sscan(p, &n)
	fmt.Sscan(lo, &l)
	fmt.Sscan(hi, &h)
	return n >= l && n <= h
}

// TestErrors checks that bad input gives one clear line naming the file
// (and the line when there is one), as a *LoadError.
func TestErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		opts  func(dir string) Options
		want  string // substring of Error(), after the file prefix
		file  string // expected File base name ("" = any)
		line  int
	}{
		{
			name:  "malformed yaml",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"\n"},
			want:  "invalid YAML", file: "compose.yaml", line: 4,
		},
		{
			name:  "missing file",
			files: map[string]string{"compose.yaml": "services: {}\n"},
			opts:  func(dir string) Options { return Options{Files: []string{"nope.yaml"}} },
			want:  "no such file", file: "nope.yaml",
		},
		{
			name:  "port out of range",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n      - \"80000:80\"\n"},
			want:  "invalid port", file: "compose.yaml", line: 6,
		},
		{
			name:  "port not a number",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n      - abc:80\n"},
			want:  "invalid port", file: "compose.yaml", line: 5,
		},
		{
			name:  "long syntax published out of range",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: 70000\n"},
			want:  "invalid port \"70000\"", file: "compose.yaml", line: 6,
		},
		{
			name:  "missing env file",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n"},
			opts:  func(dir string) Options { return Options{EnvFiles: []string{"missing.env"}} },
			want:  "no such file", file: "missing.env",
		},
		{
			name:  "env file is a directory",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n", "bad.env/x": "A=1\n"},
			opts:  func(dir string) Options { return Options{EnvFiles: []string{"bad.env"}} },
			want:  "is a directory", file: "bad.env",
		},
		{
			name:  "env file does not parse",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n", ".env": "# c\nA=1\nB C=2\n"},
			want:  "invalid env file", file: ".env", line: 3,
		},
		{
			name:  "no compose file",
			files: map[string]string{"README": "nothing\n"},
			want:  "no compose file found",
		},
		{
			name:  "required variable",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n      - \"${WEB_PORT:?set WEB_PORT}:80\"\n"},
			want:  "set WEB_PORT", file: "compose.yaml", line: 5,
		},
		{
			name: "include cycle",
			files: map[string]string{
				"compose.yaml": "include:\n  - a.yaml\nservices:\n  web:\n    image: nginx\n",
				"a.yaml":       "include:\n  - compose.yaml\n",
			},
			want: "include cycle", file: "",
		},
		{
			name: "extends cycle",
			files: map[string]string{
				"compose.yaml": "services:\n  a:\n    image: nginx\n    extends: b\n  b:\n    image: nginx\n    extends: a\n",
			},
			want: "", file: "compose.yaml",
		},
		{
			name:  "remote include",
			files: map[string]string{"compose.yaml": "include:\n  - oci://docker.io/example/app:latest\nservices:\n  web:\n    image: nginx\n"},
			want:  "not fetched", file: "compose.yaml", line: 2,
		},
		{
			name:  "missing service env_file",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    env_file: app.env\n"},
			want:  "app.env", file: "",
		},
		{
			name:  "schema error",
			files: map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    wrongField: 1\n"},
			want:  "wrongField", file: "compose.yaml", line: 4,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opts := Options{}
			if tc.opts != nil {
				opts = tc.opts(dir)
			}
			opts.WorkingDir = dir
			opts.Environ = []string{"PATH=/usr/bin"}
			p, err := Load(context.Background(), opts)
			if err == nil {
				t.Fatalf("loaded, want an error: %s", render(p, dir))
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LoadError", err, err)
			}
			msg := err.Error()
			t.Logf("%s", msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans several lines: %q", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
			if tc.file != "" && filepath.Base(le.File) != tc.file {
				t.Errorf("File = %q, want %s", le.File, tc.file)
			}
			if tc.line != 0 && le.Line != tc.line {
				t.Errorf("Line = %d, want %d", le.Line, tc.line)
			}
			if le.File != "" && tc.line != 0 && !strings.HasPrefix(msg, fmt.Sprintf("%s:%d: ", tc.file, tc.line)) {
				t.Errorf("message %q does not start with %s:%d:", msg, tc.file, tc.line)
			}
		})
	}
}

// TestEnvironInjected checks that the loader reads the shell environment
// only from Options.Environ: COMPOSE_FILE, COMPOSE_PROFILES,
// COMPOSE_PROJECT_NAME, COMPOSE_DISABLE_ENV_FILE and COMPOSE_ENV_FILES.
func TestEnvironInjected(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", "services:\n  web:\n    image: nginx\n    ports: [\"${P:-1000}:80\"]\n")
	write("other.yaml", "services:\n  api:\n    image: nginx\n    ports: [\"2000:80\"]\n  dbg:\n    image: nginx\n    profiles: [debug]\n    ports: [\"2001:80\"]\n")
	write(".env", "P=1001\n")
	write("alt.env", "P=1002\n")
	t.Setenv("P", "6666") // must not leak in
	t.Setenv("COMPOSE_FILE", "nope.yaml")

	load := func(env ...string) *Project {
		t.Helper()
		p, err := Load(context.Background(), Options{WorkingDir: dir, Environ: env})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ports := func(p *Project) []string {
		var out []string
		for _, b := range p.Bindings {
			out = append(out, b.Service+"="+b.Published)
		}
		return out
	}
	if got := ports(load()); !slices.Equal(got, []string{"web=1001"}) {
		t.Errorf("default: %v", got)
	}
	if got := ports(load("P=3000")); !slices.Equal(got, []string{"web=3000"}) {
		t.Errorf("shell wins: %v", got)
	}
	if got := ports(load("COMPOSE_DISABLE_ENV_FILE=1")); !slices.Equal(got, []string{"web=1000"}) {
		t.Errorf("COMPOSE_DISABLE_ENV_FILE: %v", got)
	}
	if got := ports(load("COMPOSE_ENV_FILES=alt.env")); !slices.Equal(got, []string{"web=1002"}) {
		t.Errorf("COMPOSE_ENV_FILES: %v", got)
	}
	if got := ports(load("COMPOSE_FILE=other.yaml", "COMPOSE_PROFILES=debug")); !slices.Equal(got, []string{"api=2000", "dbg=2001"}) {
		t.Errorf("COMPOSE_FILE+COMPOSE_PROFILES: %v", got)
	}
	if got := ports(load("COMPOSE_FILE=compose.yaml,other.yaml", "COMPOSE_PATH_SEPARATOR=,")); !slices.Equal(got, []string{"api=2000", "web=1001"}) {
		t.Errorf("COMPOSE_PATH_SEPARATOR: %v", got)
	}
	if p := load("COMPOSE_PROJECT_NAME=demo"); p.Name != "demo" {
		t.Errorf("COMPOSE_PROJECT_NAME: %q", p.Name)
	}
}

// BenchmarkLoad loads a 10-service project. Each iteration is a full Load
// (compose-go load plus the source index); compose-go compiles its JSON
// schema once per process, so the first Load costs more than these.
func BenchmarkLoad(b *testing.B) {
	dir, err := filepath.Abs(filepath.Join("testdata", "bench"))
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{WorkingDir: dir, Environ: []string{"PATH=/usr/bin"}}
	for b.Loop() {
		p, err := Load(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Bindings) != 20 {
			b.Fatalf("%d bindings", len(p.Bindings))
		}
	}
}
