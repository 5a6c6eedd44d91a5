package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/compose-preflight/compose-preflight/compose/rewrite"
	"github.com/compose-preflight/compose-preflight/internal/netnstest"
	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

type (
	oracleRecord = testutil.OracleRecord
	oraclePort   = testutil.OraclePort
)

// portRange is the first and last host port of a published text ("8080",
// "9000-9005").
func portRange(s string) (lo, hi int, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	return lo, hi, err1 == nil && err2 == nil && lo > 0 && hi >= lo && hi < 65536
}

// A fixLine is one "fixed:" line of --fix: a port text (of a service, or
// of a variable used by one) moved from old to new.
type fixLine struct {
	service, variable, old, new string
}

// A manualLine is one "not fixed:" line: a conflict --fix left for a
// human, with the reason.
type manualLine struct {
	service, old, reason string
}

var (
	fixedServiceRE = regexp.MustCompile(`: fixed: service "([^"]+)" (\S+) -> (\S+) \(`)
	fixedVarRE     = regexp.MustCompile(`: fixed: (\S+) (\S+) -> (\S+) \(used by service "([^"]+)"`)
	notFixedRE     = regexp.MustCompile(`: not fixed: service "([^"]+)" (\S+) -> \S+: (.*)$`)
)

// parseFixOutput reads what --fix said it moved and what it left.
func parseFixOutput(out string) (moved []fixLine, manual []manualLine) {
	for _, l := range strings.Split(out, "\n") {
		if m := notFixedRE.FindStringSubmatch(l); m != nil {
			manual = append(manual, manualLine{service: m[1], old: m[2], reason: m[3]})
		} else if m := fixedServiceRE.FindStringSubmatch(l); m != nil {
			moved = append(moved, fixLine{service: m[1], old: m[2], new: m[3]})
		} else if m := fixedVarRE.FindStringSubmatch(l); m != nil {
			moved = append(moved, fixLine{variable: m[1], old: m[2], new: m[3], service: m[4]})
		}
	}
	return moved, manual
}

// covers reports whether a move of port text old to new explains a
// published port going from was to now: was lies in old's range and is
// shifted by the same amount (an expanded range moves as one window).
func (f fixLine) covers(was, now string) bool {
	olo, ohi, ok1 := portRange(f.old)
	nlo, _, ok2 := portRange(f.new)
	wlo, whi, ok3 := portRange(was)
	glo, ghi, ok4 := portRange(now)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	shift := nlo - olo
	return wlo >= olo && whi <= ohi && glo == wlo+shift && ghi == whi+shift
}

// fixStats adds up what --fix did over the corpus, for the log line the
// README quotes.
type fixStats struct {
	projects, moved, left, heldPorts, skippedBindings int
	reasons                                           map[string]int
	slowest                                           time.Duration // of the --fix and --dry-run runs
}

// TestFixCorpus runs --fix on every project of the shared corpus that
// docker compose loads and that publishes fixed ports, with every one of
// those ports taken by a real listener, and checks that the fix only ever
// changes port digits (or env values), that what it claims to have fixed
// no longer conflicts, that the project still loads, and that it loads to
// the ports docker compose reported with only published numbers changed.
// This is issue #4 item 5: --fix on files written by others, not only on
// fixtures written for it.
func TestFixCorpus(t *testing.T) {
	if !netnstest.Isolate(t) {
		return
	}
	corpus, records := testutil.Oracle(t)
	original, err := snapshot(corpus)
	if err != nil {
		t.Fatal(err)
	}
	bin := binary(t)
	stats := &fixStats{reasons: map[string]int{}}
	for _, rec := range records {
		if !rec.OK || !slices.ContainsFunc(rec.Ports, oraclePort.Fixed) {
			continue
		}
		stats.projects++
		t.Run(rec.Project, func(t *testing.T) { fixProject(t, bin, corpus, original, rec, stats) })
	}
	var reasons []string
	for r, n := range stats.reasons {
		reasons = append(reasons, fmt.Sprintf("%d× %s", n, r))
	}
	sort.Strings(reasons)
	t.Logf("fix corpus: %d projects, %d ports moved, %d left for a human (%s); %d ports held by listeners, %d bindings on host IPs not on this machine; slowest --fix or --dry-run run %v",
		stats.projects, stats.moved, stats.left, strings.Join(reasons, "; "), stats.heldPorts, stats.skippedBindings, stats.slowest.Round(time.Millisecond))
	if stats.projects == 0 {
		t.Error("no corpus project publishes a fixed port: the oracle changed shape?")
	}
}

// fixProject is TestFixCorpus on one project, in its own copy of the
// corpus (a project may read files anywhere in it, and --fix writes).
func fixProject(t *testing.T, bin, corpus string, original map[string][]byte, rec oracleRecord, stats *fixStats) {
	work := t.TempDir()
	if err := copyTree(corpus, work); err != nil {
		t.Fatal(err)
	}
	held, skipped := holdPorts(t, rec.Ports)
	stats.heldPorts += held
	stats.skippedBindings += skipped
	if held == 0 {
		t.Skipf("no binding of %s can be held on this machine", rec.Project)
	}

	var args []string
	for _, f := range rec.Files {
		args = append(args, "-f", f)
	}
	if rec.ProjectDir != "" {
		args = append(args, "--project-directory", rec.ProjectDir)
	}
	args = append(args, rec.ExtraArgs...)
	env := cleanEnv(t.TempDir())

	// --dry-run first: it must write nothing, and say what --fix then does
	dry := runBin(bin, work, env, append(slices.Clone(args), "--fix", "--dry-run")...)
	fix := runBin(bin, work, env, append(slices.Clone(args), "--fix")...)
	if fix.crashed() || fix.code == 2 {
		t.Fatalf("--fix crashed or failed to load a project docker compose loads:\n%s", fix)
	}
	stats.slowest = max(stats.slowest, fix.wall, dry.wall)
	defer func() { dryRunMatches(t, dry, fix, original, work) }()
	moved, manual := parseFixOutput(fix.stdout)
	// A refused fix (verification failed and every file was restored, or
	// nothing could be written) says so in one "compose-preflight:" line
	// on stderr; compose-go's own warnings may be there too.
	rolledBack := fix.code == 1 && refusal(fix.stderr) != ""
	switch {
	case fix.code == 0 && (len(manual) > 0 || rolledBack):
		t.Errorf("--fix exited 0 but left conflicts:\n%s", fix)
	case fix.code == 0 && !strings.Contains(fix.stdout, "checks clean"):
		t.Errorf("--fix exited 0 without saying the project checks clean:\n%s", fix)
	case fix.code == 1 && len(manual) == 0 && !rolledBack && !strings.Contains(fix.stdout, "left to fix by hand"):
		t.Errorf("--fix exited 1 without naming what it left, or why:\n%s", fix)
	}
	if rolledBack && len(moved) > 0 {
		t.Errorf("--fix failed (stderr) yet reported moves on stdout:\n%s", fix)
	}

	// (c) The project still loads, with the listeners still held.
	check := runBin(bin, work, env, append(slices.Clone(args), "--format", "json")...)
	if check.crashed() || check.code == 2 {
		t.Fatalf("the project no longer loads after --fix:\n%s\nthe --fix run was:\n%s", check, fix)
	}
	rep, err := parseReport(check)
	if err != nil {
		t.Fatalf("%v\n%s", err, check)
	}

	// (a) Only port digits, or env values, changed; nothing else was
	// written, created, removed or left behind.
	after, err := snapshot(work)
	if err != nil {
		t.Fatal(err)
	}
	changed := checkDamage(t, original, after, kinds(work, rep))
	if rolledBack && len(changed) > 0 {
		t.Errorf("--fix said it restored every file, but %v differ from the original", changed)
	}
	if len(moved) > 0 && len(changed) == 0 {
		t.Errorf("--fix reported %d moves but no file changed:\n%s", len(moved), fix)
	}

	// (d) docker compose's own loader sees the ports the oracle reported,
	// with only published numbers changed, each change explained by a
	// "fixed:" line.
	loaded, err := loadPorts(work, rec, env)
	if err != nil {
		t.Fatalf("compose-go no longer loads the project after --fix: %v\n%s", err, fix)
	}
	movedPorts := comparePorts(t, rec.Ports, loaded, moved)

	// (b) Nothing --fix moved still conflicts; what still conflicts was
	// named as "not fixed" with a reason (or the whole fix was refused).
	for _, f := range rep.Findings {
		if f.Binding == nil || f.Severity != "error" {
			continue
		}
		b := *f.Binding
		if !slices.ContainsFunc(loaded, func(p oraclePort) bool {
			return p.Service == b.Service && p.HostIP == b.HostIP && p.Published == b.Published && p.Target == b.Target && p.Protocol == b.Protocol
		}) {
			t.Errorf("the JSON report names a binding docker compose does not load: %+v", b)
		}
		if f.Kind != "in-use" && f.Kind != "shadowed" && f.Kind != "duplicate" {
			continue
		}
		if slices.ContainsFunc(movedPorts, func(p oraclePort) bool {
			return p.Service == b.Service && p.HostIP == b.HostIP && p.Published == b.Published && p.Target == b.Target && p.Protocol == b.Protocol
		}) {
			t.Errorf("--fix moved %s %s/%s, but it still conflicts: %s", b.Service, b.Published, b.Protocol, f.Message)
			continue
		}
		named := slices.ContainsFunc(manual, func(m manualLine) bool {
			lo, hi, _ := portRange(m.old)
			blo, bhi, _ := portRange(b.Published)
			return m.service == b.Service && blo >= lo && bhi <= hi
		})
		if !named && !rolledBack {
			t.Errorf("%s %s/%s still conflicts (%s) and --fix neither moved it nor said why:\n%s", b.Service, b.Published, b.Protocol, f.Kind, fix)
		}
	}

	seen := map[fixLine]bool{}
	for _, m := range moved {
		m.service = "" // one move can be reported once per file it edits
		if !seen[m] {
			seen[m] = true
			stats.moved++
		}
	}
	for _, m := range manual {
		stats.left++
		stats.reasons[shortReason(m.reason)]++
	}
	if rolledBack {
		stats.left++
		stats.reasons["whole fix refused: "+shortReason(refusal(fix.stderr))]++
	}
	t.Logf("--fix exit %d in %v (--dry-run %v): %d moved, %d left, files changed %v\n%s%s", fix.code, fix.wall.Round(time.Millisecond), dry.wall.Round(time.Millisecond), len(seen), len(manual), changed, fix.stdout, fix.stderr)
}

// dryRunMatches checks that a --dry-run run printed exactly the diff of
// the files the --fix run that followed it changed, left the same ports
// to a human with the same words, and refused the same way.
func dryRunMatches(t *testing.T, dry, fix result, before map[string][]byte, work string) {
	t.Helper()
	after, err := snapshot(work)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for path, b := range after {
		if old, ok := before[path]; !ok || !bytes.Equal(old, b) {
			want = append(want, rewrite.Diff(path, old, b))
		}
	}
	// findings come first, then the diffs, then lines that start with a
	// file name: a diff runs from its "--- " line while lines start with
	// a diff's marks
	var got []string
	inDiff := false
	for _, l := range strings.SplitAfter(dry.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "--- "):
			got, inDiff = append(got, l), true
		case inDiff && l != "" && strings.ContainsRune("+- @\\", rune(l[0])):
			got[len(got)-1] += l
		default:
			inDiff = false
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("--dry-run printed another diff than --fix wrote:\n--- dry run\n%s--- fix\n%s", strings.Join(got, ""), strings.Join(want, ""))
	}
	_, dryManual := parseFixOutput(dry.stdout)
	_, fixManual := parseFixOutput(fix.stdout)
	if !slices.Equal(dryManual, fixManual) {
		t.Errorf("--dry-run and --fix leave other ports to a human:\n--- dry run\n%v\n--- fix\n%v", dryManual, fixManual)
	}
	if d, f := refusal(dry.stderr), refusal(fix.stderr); d != f {
		t.Errorf("--dry-run and --fix refuse differently:\n--- dry run\n%s\n--- fix\n%s", d, f)
	}
}

// shortReason keeps the gist of a "not fixed" reason for the summary
// line: the part before any position or value, with digits dropped.
func shortReason(s string) string {
	if i := strings.Index(s, "compose-preflight: "); i >= 0 {
		s, _, _ = strings.Cut(s[i+len("compose-preflight: "):], "\n")
	}
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ": got "); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " at "); i > 0 {
		s = s[:i]
	}
	s = regexp.MustCompile(`[A-Z_][A-Z0-9_]+`).ReplaceAllString(s, "VAR")
	s = regexp.MustCompile(`\d+`).ReplaceAllString(s, "N")
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}

// holdPorts opens a real listener for every port of every fixed binding,
// on an address the binding overlaps: 127.0.0.1 (or ::1) for a binding on
// all addresses, the binding's own address when it is a loopback one.
// A binding on another host IP is not on this machine and is skipped.
func holdPorts(t *testing.T, ports []oraclePort) (held, skipped int) {
	t.Helper()
	done := map[string]bool{}
	for _, p := range ports {
		if !p.Fixed() {
			continue
		}
		addr := netip.MustParseAddr("127.0.0.1")
		if p.HostIP != "" {
			a, err := netip.ParseAddr(strings.Trim(p.HostIP, "[]"))
			switch {
			case err != nil:
				skipped++
				continue
			case a.IsUnspecified() && a.Is4():
				// 0.0.0.0 as written: 127.0.0.1 overlaps it.
			case a.IsUnspecified():
				addr = netip.IPv6Loopback()
			case a.IsLoopback():
				addr = a
			default:
				skipped++
				continue
			}
		}
		lo, hi, ok := portRange(p.Published)
		if !ok {
			t.Fatalf("oracle port %s: bad published %q", p, p.Published)
		}
		for port := lo; port <= hi; port++ {
			ap := netip.AddrPortFrom(addr, uint16(port))
			network := p.Protocol
			if network != "tcp" && network != "udp" {
				skipped++
				continue
			}
			key := network + " " + ap.String()
			if done[key] {
				continue
			}
			done[key] = true
			var c interface{ Close() error }
			var err error
			if network == "udp" {
				c, err = net.ListenPacket(network, ap.String())
			} else {
				c, err = net.Listen(network, ap.String())
			}
			if err != nil {
				t.Fatalf("holding %s for %s: %v", key, p, err)
			}
			t.Cleanup(func() { c.Close() })
			held++
		}
	}
	return held, skipped
}

// checkDamage compares the corpus after --fix with the original: a
// compose file (kind says which are; by extension for others) may differ
// only in port digits, an env file only in the values of
// variables (now port numbers), a new file may only be a .env of port
// variables, and nothing may be removed. It returns the changed files.
func checkDamage(t *testing.T, before, after map[string][]byte, kind map[string]string) []string {
	t.Helper()
	var changed []string
	for path, old := range before {
		if _, ok := after[path]; !ok {
			t.Errorf("%s was removed", path)
		}
		_ = old
	}
	for path, now := range after {
		old, existed := before[path]
		if existed && bytes.Equal(old, now) {
			continue
		}
		changed = append(changed, path)
		base := filepath.Base(path)
		switch {
		case strings.Contains(base, ".compose-preflight-") && strings.HasSuffix(base, ".tmp"):
			t.Errorf("a temporary file was left behind: %s", path)
		case !existed && base != ".env":
			t.Errorf("--fix created %s, which is not a project .env", path)
		case kind[path] == "compose" || kind[path] == "" && (strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml")):
			n, err := portOnlyDiff(old, now)
			if err != nil {
				t.Errorf("%s: damaged by --fix: %v\n%s", path, err, lineDiff(old, now))
			} else if n == 0 {
				t.Errorf("%s changed but no port did", path)
			}
		default:
			if err := envOnlyValues(old, now); err != nil {
				t.Errorf("%s: damaged by --fix: %v\n%s", path, err, lineDiff(old, now))
			}
		}
	}
	sort.Strings(changed)
	return changed
}

// kinds says which files of the copy in work the project reads as compose
// files and which as env files, by the report's relative paths.
func kinds(work string, rep jsonReport) map[string]string {
	out := map[string]string{}
	for kind, files := range map[string][]string{"compose": rep.Project.ComposeFiles, "env": rep.Project.EnvFiles} {
		for _, f := range files {
			if rel, err := filepath.Rel(work, f); err == nil {
				out[rel] = kind
			}
		}
	}
	return out
}

// envOnlyValues checks an env file's change with the parser compose
// itself uses: the same variables with the same values, except some now
// set to a port (an existing one changed, or a new one added).
func envOnlyValues(old, now []byte) error {
	none := func(string) (string, bool) { return "", false }
	a, err := dotenv.UnmarshalBytesWithLookup(old, none)
	if err != nil && old != nil {
		return fmt.Errorf("the original does not parse: %v", err)
	}
	b, err := dotenv.UnmarshalBytesWithLookup(now, none)
	if err != nil {
		return fmt.Errorf("no longer parses: %v", err)
	}
	for k, v := range a {
		nv, ok := b[k]
		switch {
		case !ok:
			return fmt.Errorf("%s was removed", k)
		case nv != v && !isPortText(nv):
			return fmt.Errorf("%s changed from %q to %q, which is not a port", k, v, nv)
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok && !isPortText(v) {
			return fmt.Errorf("%s=%q was added, which is not a port", k, v)
		}
	}
	return nil
}

// lineDiff shows the changed lines of a file, for a failure message.
func lineDiff(old, now []byte) string {
	a, b := strings.Split(string(old), "\n"), strings.Split(string(now), "\n")
	var out strings.Builder
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&out, "%d:\n- %q\n+ %q\n", i+1, x, y)
		}
	}
	return out.String()
}

// loadPorts loads the project in work with compose-go, the library docker
// compose itself loads with, as the oracle was produced: the record's
// files, project directory, env files and profiles, and a clean
// environment.
func loadPorts(work string, rec oracleRecord, env []string) ([]oraclePort, error) {
	abs := func(p string) string { return filepath.Join(work, p) }
	var files, envFiles, profiles []string
	for _, f := range rec.Files {
		files = append(files, abs(f))
	}
	dir := filepath.Dir(files[0])
	if rec.ProjectDir != "" {
		dir = abs(rec.ProjectDir)
	}
	for i := 0; i+1 < len(rec.ExtraArgs); i += 2 {
		switch rec.ExtraArgs[i] {
		case "--env-file":
			envFiles = append(envFiles, abs(rec.ExtraArgs[i+1]))
		case "--profile":
			profiles = append(profiles, rec.ExtraArgs[i+1])
		default:
			return nil, fmt.Errorf("unknown extra argument %q", rec.ExtraArgs[i])
		}
	}
	po, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(append(slices.Clone(env), "PWD="+dir)),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(profiles...),
		cli.WithoutEnvironmentResolution,
	)
	if err != nil {
		return nil, err
	}
	p, err := po.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	var out []oraclePort
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		for _, sp := range p.Services[name].Ports {
			out = append(out, oraclePort{Service: name, HostIP: sp.HostIP, Published: sp.Published, Target: sp.Target, Protocol: sp.Protocol, Mode: sp.Mode})
		}
	}
	return out, nil
}

// comparePorts checks that the loaded ports are the oracle's, service by
// service in order, with only published numbers changed, each change
// explained by a "fixed:" line and every "fixed:" line visible. It returns
// the ports that moved, as loaded now.
func comparePorts(t *testing.T, oracle, loaded []oraclePort, moved []fixLine) []oraclePort {
	t.Helper()
	group := func(ps []oraclePort) map[string][]oraclePort {
		g := map[string][]oraclePort{}
		for _, p := range ps {
			g[p.Service] = append(g[p.Service], p)
		}
		return g
	}
	want, got := group(oracle), group(loaded)
	var out []oraclePort
	explained := make([]bool, len(moved))
	for svc, ws := range want {
		gs := got[svc]
		if len(gs) != len(ws) {
			t.Errorf("service %s: docker compose reported %d ports, the fixed project loads %d: %v vs %v", svc, len(ws), len(gs), ws, gs)
			continue
		}
		for i, w := range ws {
			g := gs[i]
			if g.HostIP != w.HostIP || g.Target != w.Target || g.Protocol != w.Protocol || g.Mode != w.Mode {
				t.Errorf("service %s port %d: was %s, now %s: more than the published port changed", svc, i, w, g)
				continue
			}
			if g.Published == w.Published {
				continue
			}
			out = append(out, g)
			ok := false
			for j, m := range moved {
				if m.covers(w.Published, g.Published) {
					ok, explained[j] = true, true
				}
			}
			if !ok {
				t.Errorf("service %s: %s became %s, which no \"fixed:\" line of --fix explains", svc, w, g)
			}
		}
	}
	for svc := range got {
		if _, ok := want[svc]; !ok {
			t.Errorf("service %s publishes ports after --fix, but did not before: %v", svc, got[svc])
		}
	}
	for j, m := range moved {
		if !explained[j] {
			t.Errorf("--fix said it moved %s %s -> %s (service %s), but no loaded port shows it", m.variable, m.old, m.new, m.service)
		}
	}
	return out
}

// refusal is the tool's own error line on stderr (a refused fix), as
// opposed to the warnings it passes on from compose-go.
func refusal(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "compose-preflight: ") && !strings.HasPrefix(l, "compose-preflight: warning: ") {
			return l
		}
	}
	return ""
}
