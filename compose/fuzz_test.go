package compose

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// fuzzEnviron is the shell environment of the fuzz targets: a few variables
// so that interpolated ports take both the set and the default branches.
var fuzzEnviron = []string{"PATH=/usr/bin", "P=8080", "EMPTY=", "HOST=127.0.0.1", "R=9000-9001"}

// seedFiles adds, as seeds, the compose files under testdata and, when
// the shared corpus of real projects is checked out beside this repository
// (../../shared/corpus), its compose files too. Files over 64 KiB are left
// out: the fuzzer mutates seeds byte by byte and gains nothing from size.
func seedFiles(f *testing.F, add func([]byte)) {
	f.Helper()
	roots := []string{"testdata"}
	if st, err := os.Stat(filepath.Join("..", "..", "shared", "corpus")); err == nil && st.IsDir() {
		roots = append(roots, filepath.Join("..", "..", "shared", "corpus"))
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "fuzz" {
				return filepath.SkipDir
			}
			ext := filepath.Ext(p)
			if d.IsDir() || !d.Type().IsRegular() || (ext != ".yaml" && ext != ".yml") {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Size() > 64<<10 {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			add(b)
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
}

// FuzzLoad loads arbitrary bytes as compose.yaml. Load must return, within
// a bound, either a *LoadError on one line or a project whose every literal
// source reads back, at Offset:End of the file, the published text.
func FuzzLoad(f *testing.F) {
	seedFiles(f, func(b []byte) { f.Add(b) })
	f.Add([]byte("services:\n  web:\n    image: nginx\n    ports:\n      - \"${P:-80}:80\"\n      - \"127.0.0.1:8000-8001:8000-8001/udp\"\n      - target: 81\n        published: ${R}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if wideRange(src) {
			// compose-go expands an equal range port by port: 65535 ports
			// take seconds, and over ten under the fuzzer's coverage
			// instrumentation, which then reports a hang. TestBroken's
			// range-full case covers the widest range.
			t.Skip("port range wider than 1000 ports")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		p, err := Load(ctx, Options{WorkingDir: dir, Environ: fuzzEnviron})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Load hangs: %v", err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("message spans several lines: %q", msg)
			}
			return
		}
		checkSpans(t, p)
	})
}

// reRange finds number ranges, for wideRange.
var reRange = regexp.MustCompile(`(\d+)\s*-\s*(\d+)`)

// wideRange reports whether src holds a number range of more than 1000.
func wideRange(src []byte) bool {
	for _, m := range reRange.FindAllSubmatch(src, -1) {
		lo, err1 := strconv.Atoi(string(m[1]))
		hi, err2 := strconv.Atoi(string(m[2]))
		if err1 != nil || err2 != nil || hi-lo > 1000 {
			return true
		}
	}
	return false
}

// FuzzPublishedSpan checks that the span publishedSpan finds in a
// short-syntax port lies inside it and holds the published port (or the
// host range covering it) that compose-go's own parser finds.
func FuzzPublishedSpan(f *testing.F) {
	for _, s := range []string{
		"80", "8080:80", "0:80", "127.0.0.1:8080:80", "127.0.0.1::80", "[::1]:8080:80/udp",
		"::1:8080:80", "9000-9005:80", "8000-8010:8000-8010", "1-65535:1-65535", "08080:80",
		"8080:80/sctp", ":80", "a:b:c:d", "", "::", "8080-:80", "-1:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, pe, ok := publishedSpan(s)
		if !ok {
			return
		}
		if ps < 0 || ps > pe || pe > len(s) {
			t.Fatalf("span [%d:%d] outside %q", ps, pe, s)
		}
		if len(s) > 64 {
			return // an equal range expands to up to 65535 configs
		}
		cfgs, err := types.ParsePortConfig(s)
		if err != nil {
			return
		}
		span := s[ps:pe]
		for _, c := range cfgs {
			if !spanHolds(span, c.Published) {
				t.Fatalf("%q: span %q, but compose-go publishes %q", s, span, c.Published)
			}
		}
	})
}

// spanHolds reports whether the host-port text span yields published:
// equal text, the same number, or a range that contains it.
func spanHolds(span, published string) bool {
	if span == published {
		return true
	}
	num := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	// go-connections rewrites a host range in canonical form: "0-01"
	// publishes "0-1"
	bounds := func(s string) (int, int, bool) {
		lo, hi, isRange := strings.Cut(s, "-")
		if !isRange {
			n, ok := num(s)
			return n, n, ok
		}
		l, ok1 := num(lo)
		h, ok2 := num(hi)
		return l, h, ok1 && ok2
	}
	pl, ph, ok1 := bounds(published)
	sl, sh, ok2 := bounds(span)
	return ok1 && ok2 && sl <= pl && ph <= sh && (pl == ph || pl == sl && ph == sh)
}

// FuzzTrackInterpolate checks that trackInterpolate interpolates exactly as
// compose-go's template.Substitute does, and that its segments tile the
// input and the output.
func FuzzTrackInterpolate(f *testing.F) {
	for _, s := range []string{
		"8080:80", "${P}:80", "${P:-1}:80", "${UNSET:-${P}}:80", "$P:80", "$$P", "${P:?msg}",
		"${UNSET:?need it}", "${EMPTY:-d}", "${EMPTY-d}", "${P:+alt}", "${P+alt}", "${", "$", "${}",
		"a${P}b${HOST}c", "${UNSET:-${UNSET:-${P}}}", "$$$P", "${P}}", "${P:-}}", "${ P}",
	} {
		f.Add(s)
	}
	env := environMap(fuzzEnviron)
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, werr := template.SubstituteWithOptions(raw, lookup, template.WithoutLogging)
		got, segs, gerr := trackInterpolate(raw, lookup)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: template error %v, trackInterpolate error %v", raw, werr, gerr)
		}
		if werr != nil {
			return
		}
		if got != want {
			t.Fatalf("%q: got %q, template gives %q", raw, got, want)
		}
		rawPos, outPos := 0, 0
		for _, sg := range segs {
			if sg.rawStart != rawPos || sg.outStart != outPos || sg.rawEnd < sg.rawStart || sg.outEnd < sg.outStart {
				t.Fatalf("%q: segments do not tile: %+v", raw, segs)
			}
			if sg.literal && raw[sg.rawStart:sg.rawEnd] != got[sg.outStart:sg.outEnd] {
				t.Fatalf("%q: literal segment %+v differs", raw, sg)
			}
			rawPos, outPos = sg.rawEnd, sg.outEnd
		}
		if rawPos != len(raw) || outPos != len(got) {
			t.Fatalf("%q: segments cover raw[:%d] out[:%d] of %d, %d", raw, rawPos, outPos, len(raw), len(got))
		}
	})
}
